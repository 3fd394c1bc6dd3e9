from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "comptoir.messaging"
    label = "messaging"

    def ready(self) -> None:
        from anymail.signals import tracking

        from comptoir.messaging.provider_webhooks import on_tracking_event

        # django-anymail reports providers' events only through this signal: bounces and
        # complaints here; opens and clicks in provider_tracking, connected on import.
        tracking.connect(on_tracking_event, dispatch_uid="comptoir.messaging.provider_bounces")
        from comptoir.messaging import provider_tracking  # noqa: F401
