"""Normalisation of the ways to reach a customer, so that one address always finds one record."""

import email_validator
import phonenumbers

DEFAULT_PHONE_REGION = "FR"


class InvalidIdentity(ValueError):
    """The value is not a usable email address or phone number."""


def normalise_email(address: str) -> str:
    """Return the address in the one form we store and match on, or raise InvalidIdentity."""
    try:
        valid = email_validator.validate_email(
            address.strip(), check_deliverability=False, allow_smtputf8=True
        )
    except email_validator.EmailNotValidError as error:
        raise InvalidIdentity(str(error)) from error
    # Mail providers treat the local part as case-insensitive in practice; matching on the
    # lower-cased address stops "Jean.Dupont@" and "jean.dupont@" becoming two customers.
    return valid.normalized.lower()


def normalise_phone(number: str, region: str = DEFAULT_PHONE_REGION) -> str:
    """Return the number in E.164 (+33612345678), or raise InvalidIdentity."""
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException as error:
        raise InvalidIdentity(str(error)) from error
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidIdentity(f"not a valid phone number: {number}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
