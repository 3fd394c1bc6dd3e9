from django.db import models
from django.utils.translation import gettext_lazy as _

from comptoir.core.models import TimeStampedModel


class Customer(TimeStampedModel):
    """One person or company the company talks to (the customer record, or RCU)."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        COMPANY = "company", _("Company")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.PERSON)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    company_name = models.CharField(_("company name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    # The only purchase fact we hold until the business-events API records orders: it decides
    # the CNIL "soft opt-in" (marketing email to an existing customer without prior opt-in).
    last_purchase_at = models.DateTimeField(_("last purchase"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    @property
    def display_name(self) -> str:
        if self.kind == self.Kind.COMPANY and self.company_name:
            return self.company_name
        full = f"{self.first_name} {self.last_name}".strip()
        if full:
            return full
        email = next((i.value for i in self.identities.all() if i.kind == Identity.Kind.EMAIL), "")
        return email or f"#{self.pk}"

    def __str__(self) -> str:
        return self.display_name


class Identity(TimeStampedModel):
    """A way to reach a customer: an email address or a phone number, stored normalised."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # Emails are lower-cased and IDNA-normalised; phones are E.164 (+33612345678).
    value = models.CharField(_("value"), max_length=320)

    class Meta:
        verbose_name = _("identity")
        verbose_name_plural = _("identities")
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="identity_unique_value"),
        ]

    def __str__(self) -> str:
        return self.value
