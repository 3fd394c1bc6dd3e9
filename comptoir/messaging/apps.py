from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "comptoir.messaging"
    label = "messaging"

    def ready(self) -> None:
        # Connects the receiver of anymail's tracking signal (opens and clicks).
        from comptoir.messaging import provider_tracking  # noqa: F401
