"""ASGI entry point of the web role: HTTP now, WebSockets through Channels as they come."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

django_application = get_asgi_application()

application = ProtocolTypeRouter({"http": django_application})
