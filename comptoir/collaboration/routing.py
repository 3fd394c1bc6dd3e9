"""WebSocket routes of collaboration, mounted by comptoir.asgi."""

from django.urls import path

from comptoir.collaboration.consumers import ConversationPresenceConsumer

websocket_urlpatterns = [
    path("ws/conversations/<int:pk>/", ConversationPresenceConsumer.as_asgi()),
]
