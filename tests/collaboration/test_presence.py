"""Live presence over WebSocket, through the whole ASGI application (origin check, session
authentication, routing): who is viewing a conversation, who is writing a reply."""

import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers
from tests.collaboration.websocket_support import WebsocketCommunicator
from django.test import Client

from comptoir.asgi import application
from tests.collaboration.conftest import make_conversation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_channel_layer(settings):
    # The in-memory layer keeps queues bound to an event loop: one layer per test.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def session_cookie(agent) -> bytes:
    client = Client()
    client.force_login(agent)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def socket(conversation_id: int, agent=None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if agent is not None:
        headers.append((b"cookie", session_cookie(agent)))
    return WebsocketCommunicator(application, f"/ws/conversations/{conversation_id}/", headers)


def test_two_agents_see_each_other_view_type_and_leave(agent, teammate):
    conversation = make_conversation()
    camille, claire = socket(conversation.pk, agent), socket(conversation.pk, teammate)

    @async_to_sync
    async def scenario() -> None:
        connected, _ = await camille.connect()
        assert connected
        connected, _ = await claire.connect()
        assert connected
        # Camille learns that Claire arrived; Claire learns that Camille was already there.
        arrived = await camille.receive_json_from(timeout=2)
        assert (arrived["agent"], arrived["name"], arrived["state"]) == (
            teammate.pk,
            "Claire Martin",
            "viewing",
        )
        already_there = await claire.receive_json_from(timeout=2)
        assert (already_there["agent"], already_there["state"]) == (agent.pk, "viewing")

        await claire.send_json_to({"state": "typing"})
        typing = await camille.receive_json_from(timeout=2)
        assert (typing["agent"], typing["state"]) == (teammate.pk, "typing")
        await claire.send_json_to({"state": "idle"})
        assert (await camille.receive_json_from(timeout=2))["state"] == "viewing"
        # Anything else a page sends is ignored.
        await claire.send_json_to({"state": "admin"})
        assert await camille.receive_nothing(timeout=0.2)

        await claire.disconnect()
        left = await camille.receive_json_from(timeout=2)
        assert (left["agent"], left["state"]) == (teammate.pk, "left")
        # Nobody hears themselves.
        assert await claire.receive_nothing(timeout=0.1)
        await camille.disconnect()

    scenario()


def test_agents_on_another_conversation_hear_nothing(agent, teammate):
    first, second = make_conversation(), make_conversation(email="autre@example.fr")
    camille, claire = socket(first.pk, agent), socket(second.pk, teammate)

    @async_to_sync
    async def scenario() -> None:
        assert (await camille.connect())[0]
        assert (await claire.connect())[0]
        await claire.send_json_to({"state": "typing"})
        assert await camille.receive_nothing(timeout=0.3)
        await camille.disconnect()
        await claire.disconnect()

    scenario()


def test_an_anonymous_socket_is_refused(agent):
    communicator = socket(make_conversation().pk)

    @async_to_sync
    async def scenario() -> None:
        connected, _ = await communicator.connect()
        assert not connected

    scenario()


def test_a_socket_to_a_conversation_hidden_from_the_agent_is_refused(
    agent, outsider, hidden_from_outsider
):
    conversation = make_conversation()
    hidden_from_outsider.add(conversation.pk)
    camille, olivier = socket(conversation.pk, agent), socket(conversation.pk, outsider)

    @async_to_sync
    async def scenario() -> None:
        assert (await camille.connect())[0]
        connected, _ = await olivier.connect()
        assert not connected
        # And Camille is not told about someone who was never let in.
        assert await camille.receive_nothing(timeout=0.2)
        await camille.disconnect()

    scenario()


def test_a_socket_to_a_missing_conversation_is_refused(agent):
    communicator = socket(999_999, agent)

    @async_to_sync
    async def scenario() -> None:
        connected, _ = await communicator.connect()
        assert not connected

    scenario()


def test_a_socket_from_another_sites_page_is_refused(agent, settings):
    from channels.security.websocket import AllowedHostsOriginValidator

    from comptoir.collaboration.routing import websocket_urlpatterns
    from channels.auth import AuthMiddlewareStack
    from channels.routing import URLRouter

    conversation = make_conversation()
    settings.ALLOWED_HOSTS = ["support.shop.example"]
    guarded = AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
    headers = [(b"origin", b"https://evil.example"), (b"cookie", session_cookie(agent))]

    @async_to_sync
    async def scenario() -> None:
        communicator = WebsocketCommunicator(
            guarded, f"/ws/conversations/{conversation.pk}/", headers
        )
        connected, _ = await communicator.connect()
        assert not connected

    scenario()
