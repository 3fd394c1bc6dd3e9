"""The SMS channel's settings, read once per send from Django's settings (see
docs/configuration.md, "SMS"): the Twilio account, its auth token, the sender, the API."""

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse


@dataclass(frozen=True)
class SmsConfig:
    account_sid: str
    auth_token: str
    # An alphanumeric sender ID ("COMPTOIR"), a number in E.164, or a Messaging Service SID
    # ("MG…"), which Twilio takes in another field.
    sender: str
    api_url: str
    max_segments: int
    timeout_seconds: int

    @classmethod
    def current(cls) -> "SmsConfig":
        return cls(
            account_sid=settings.COMPTOIR_SMS_ACCOUNT_SID,
            auth_token=settings.COMPTOIR_SMS_AUTH_TOKEN,
            sender=settings.COMPTOIR_SMS_SENDER,
            api_url=settings.COMPTOIR_SMS_API_URL.rstrip("/"),
            max_segments=settings.COMPTOIR_SMS_MAX_SEGMENTS,
            timeout_seconds=settings.COMPTOIR_SMS_TIMEOUT_SECONDS,
        )

    @property
    def is_configured(self) -> bool:
        return bool(self.account_sid and self.auth_token and self.sender)

    @property
    def messages_url(self) -> str:
        return f"{self.api_url}/2010-04-01/Accounts/{self.account_sid}/Messages.json"

    @property
    def sender_field(self) -> str:
        return "MessagingServiceSid" if self.sender.startswith("MG") else "From"


def public_url(view_name: str) -> str:
    """Return the address Twilio calls us at: it signs exactly this URL (see signature.py)."""
    return f"{settings.PUBLIC_URL}{reverse(view_name)}"
