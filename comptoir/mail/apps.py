from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "comptoir.mail"
    label = "mail"

    def ready(self) -> None:
        from comptoir.mail import checks  # noqa: F401 (registers the checks)
