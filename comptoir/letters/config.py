"""The letter channel's settings: the company's sender block and the town letters are
written from (see docs/configuration.md, "Letters")."""

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class LetterConfig:
    company_name: str
    # One line of the postal address per line, as printed under the company's name.
    postal_address: list[str]
    phone: str
    support_address: str
    city: str

    @classmethod
    def current(cls) -> "LetterConfig":
        return cls(
            company_name=settings.COMPTOIR_COMPANY_NAME,
            postal_address=address_lines(settings.COMPTOIR_COMPANY_POSTAL_ADDRESS),
            phone=settings.COMPTOIR_COMPANY_PHONE,
            support_address=settings.COMPTOIR_SUPPORT_ADDRESS,
            city=settings.COMPTOIR_COMPANY_CITY,
        )


def address_lines(address: str) -> list[str]:
    """Split a postal address into its printed lines ("\\n", or "|" in an env variable)."""
    return [line.strip() for line in address.replace("|", "\n").splitlines() if line.strip()]
