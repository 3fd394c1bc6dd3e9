"""Two agents on the same conversation in two real browsers, against a real ASGI server
(uvicorn, as `comptoir web` runs it): one sees the other viewing, then writing a reply."""

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from channels.layers import channel_layers
from django.test import Client

from tests.browser_support import SCREENSHOTS
from tests.collaboration.conftest import make_conversation

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture
def asgi_live_server(transactional_db, settings) -> Iterator[str]:
    """Serve comptoir.asgi (HTTP and WebSockets) with uvicorn in a thread of this process,
    so that it reads the test database and shares the in-memory channel layer."""
    from comptoir.asgi import application

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(application, lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    listener.close()
    channel_layers.backends.clear()


def log_in(context, base_url: str, agent) -> None:
    client = Client()
    client.force_login(agent)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}]
    )


def test_an_agent_sees_a_teammate_viewing_then_replying_live(
    asgi_live_server, agent, teammate, browser_page
):
    conversation = make_conversation(subject="Colis abîmé")
    url = f"{asgi_live_server}/conversations/{conversation.pk}/"
    camille = browser_page
    log_in(camille.context, asgi_live_server, agent)
    claire_context = camille.context.browser.new_context(
        viewport={"width": 1280, "height": 860}, locale="fr-FR"
    )
    claire = claire_context.new_page()
    claire.set_default_timeout(15_000)
    log_in(claire_context, asgi_live_server, teammate)

    camille.goto(url)
    claire.goto(url)
    # Each sees the other arrive, whoever came first.
    camille.wait_for_selector(
        ".presence-banner:has-text('Claire Martin est en train de consulter')"
    )
    claire.wait_for_selector(".presence-banner:has-text('Camille est en train de consulter')")

    claire.click("#reply-text")
    claire.keyboard.type("Bonjour Paul, nous renvoyons")
    banner = camille.wait_for_selector(
        ".presence-banner:has-text('Claire Martin est en train de répondre')"
    )
    assert "presence-typing" in (banner.get_attribute("class") or "")
    camille.screenshot(path=str(SCREENSHOTS / "comptoir_presence.png"), full_page=False)
    # A pause in typing: Claire is still there, no longer writing.
    camille.wait_for_selector(
        ".presence-banner:has-text('Claire Martin est en train de consulter')", timeout=10_000
    )

    # Claire leaves: her banner goes away on Camille's page.
    claire.goto(f"{asgi_live_server}/")
    camille.wait_for_selector(".presence-banner", state="detached")
    claire_context.close()
