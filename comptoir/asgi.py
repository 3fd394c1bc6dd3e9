"""ASGI entry point of the web role: HTTP, and WebSockets through Channels."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

# Django is set up by get_asgi_application(); the routes import models, so they come after.
django_application = get_asgi_application()

from comptoir.collaboration.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        # The session cookie authenticates a socket like a page; the origin check stops
        # another site's page from opening one with the agent's cookie.
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
