"""The contract every channel adapter fulfils, and the registry dispatch looks them up in."""

from typing import TYPE_CHECKING, Protocol

from comptoir.messaging.models import Delivery

if TYPE_CHECKING:
    from comptoir.messaging.outgoing import Outgoing


class PermanentSendError(Exception):
    """The provider refused for good (unknown recipient, rejected content): do not retry."""


class UnconfirmedSendError(Exception):
    """The message may have reached the provider, which never said whether it took it (the
    connection broke after the message went out): a retry could send it twice, so none."""


class ChannelAdapter(Protocol):
    def send(self, delivery: Delivery, outgoing: "Outgoing") -> None:
        """Hand the delivery to the provider; raise PermanentSendError or any other error."""


def adapter_for(channel: str) -> ChannelAdapter:
    if channel == "email":
        from comptoir.mail import outbound

        return outbound.EmailAdapter()
    if channel == "sms":
        from comptoir.sms.adapter import SmsAdapter

        return SmsAdapter()
    if channel == "letter":
        from comptoir.letters.adapter import LetterAdapter

        return LetterAdapter()
    raise PermanentSendError(f"no adapter for channel {channel!r}")
