"""Presence through Redis, the channel layer of several web processes: the same protocol,
over a real redis-server started for the test."""

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers

from comptoir.asgi import application
from tests.collaboration.conftest import make_conversation
from tests.collaboration.test_presence import session_cookie
from tests.collaboration.websocket_support import WebsocketCommunicator

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path) -> Iterator[str]:
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_redis_url_switches_the_channel_layer_to_redis(tmp_path):
    env = {**os.environ, "COMPTOIR_REDIS_URL": "redis://cache.internal:6379/2"}
    env["COMPTOIR_DATA_DIR"] = str(tmp_path)
    code = "from comptoir import settings; print(settings.CHANNEL_LAYERS['default'])"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert "channels_redis.core.RedisChannelLayer" in result.stdout
    assert "redis://cache.internal:6379/2" in result.stdout


def test_two_agents_see_each_other_through_redis(redis_url, settings, agent, teammate):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_url]},
        }
    }
    channel_layers.backends.clear()
    conversation = make_conversation()
    path = f"/ws/conversations/{conversation.pk}/"
    origin = (b"origin", b"http://testserver")
    camille = WebsocketCommunicator(application, path, [origin, (b"cookie", session_cookie(agent))])
    claire = WebsocketCommunicator(
        application, path, [origin, (b"cookie", session_cookie(teammate))]
    )

    @async_to_sync
    async def scenario() -> None:
        assert (await camille.connect())[0]
        assert (await claire.connect())[0]
        assert (await camille.receive_json_from(timeout=5))["agent"] == teammate.pk
        assert (await claire.receive_json_from(timeout=5))["agent"] == agent.pk
        await claire.send_json_to({"state": "typing"})
        typing = await camille.receive_json_from(timeout=5)
        assert (typing["agent"], typing["state"]) == (teammate.pk, "typing")
        await claire.disconnect()
        assert (await camille.receive_json_from(timeout=5))["state"] == "left"
        await camille.disconnect()

    try:
        scenario()
    finally:
        channel_layers.backends.clear()
