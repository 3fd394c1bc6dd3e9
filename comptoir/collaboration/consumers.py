"""Live presence on a conversation page: who else is viewing it, who is writing a reply.

No server keeps the list. Each open page is one connection that knows its own state and
tells the conversation's group when it changes; a newcomer's arrival makes every other
connection tell the newcomer its state. The same protocol therefore works with the
in-memory channel layer (one web process) and with Redis (several): nothing is stored
that a crashed process could leave stale, and a page forgets a peer it has not heard from
in a while (the page repeats its state every 25 s).
"""

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from comptoir.agents.models import Agent
from comptoir.collaboration import queries

VIEWING = "viewing"
TYPING = "typing"
LEFT = "left"
# What a page may say; "idle" is the end of a pause in typing: the agent is still here.
STATES_FROM_PAGE = {"viewing": VIEWING, "idle": VIEWING, "typing": TYPING}


def group_name(conversation_id: int) -> str:
    return f"conversation-{conversation_id}"


class ConversationPresenceConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None
    state: str = VIEWING

    async def connect(self) -> None:
        agent = self.scope.get("user")
        if agent is None or not agent.is_authenticated:
            await self.close()
            return
        conversation_id = int(self.scope["url_route"]["kwargs"]["pk"])
        may_open = await database_sync_to_async(queries.may_open_conversation)(
            agent, conversation_id
        )
        if not may_open:
            await self.close()
            return
        self.agent: Agent = agent
        self.group = group_name(conversation_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.announce(arrived=True)

    async def disconnect(self, code: int) -> None:
        if self.group is None:
            return
        self.state = LEFT
        await self.announce()
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        state = STATES_FROM_PAGE.get(content.get("state")) if isinstance(content, dict) else None
        if state is None:
            return
        # Sent on every change and as a heartbeat: the others' pages keep us while they hear us.
        self.state = state
        await self.announce()

    def presence(self, *, arrived: bool = False) -> dict[str, Any]:
        return {
            "type": "presence.update",
            "connection": self.channel_name,
            "agent": self.agent.pk,
            "name": str(self.agent),
            "state": self.state,
            "arrived": arrived,
        }

    async def announce(self, *, arrived: bool = False) -> None:
        assert self.group is not None
        await self.channel_layer.group_send(self.group, self.presence(arrived=arrived))

    async def presence_update(self, event: dict[str, Any]) -> None:
        """A connection of the group (maybe this one) said where it stands."""
        if event["connection"] == self.channel_name:
            return
        await self.send_json(
            {
                "type": "presence",
                "connection": event["connection"],
                "agent": event["agent"],
                "name": event["name"],
                "state": event["state"],
            }
        )
        if event["arrived"]:
            # Tell the newcomer who was already here, and doing what.
            await self.channel_layer.send(event["connection"], self.presence())
