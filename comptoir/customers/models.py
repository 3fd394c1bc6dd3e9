"""The customer record (RCU): who the customer is, how to reach them, what happened with them."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from comptoir.core.models import TimeStampedModel


class Store(TimeStampedModel):
    """A local store or agency a customer is attached to; its details go in email headers."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    # Free text as it is printed in a message: "Du lundi au samedi, 9 h – 19 h".
    opening_hours = models.TextField(_("opening hours"), blank=True)

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.city})" if self.city else self.name


class Customer(TimeStampedModel):
    """One person or company the company talks to (the customer record, or RCU)."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        COMPANY = "company", _("Company")

    class Market(models.TextChoices):
        B2C = "b2c", _("B2C (consumer)")
        B2B = "b2b", _("B2B (business)")

    class AgeBracket(models.TextChoices):
        UNDER_25 = "under_25", _("Under 25")
        FROM_25_TO_34 = "25_34", _("25–34")
        FROM_35_TO_49 = "35_49", _("35–49")
        FROM_50_TO_64 = "50_64", _("50–64")
        FROM_65 = "65_plus", _("65 and over")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.PERSON)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    company_name = models.CharField(_("company name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    # The only purchase fact we hold until the business-events API records orders: it decides
    # the CNIL "soft opt-in" (marketing email to an existing customer without prior opt-in).
    last_purchase_at = models.DateTimeField(_("last purchase"), null=True, blank=True)
    # Profile facts that drive the choice of channel and tone [002].
    market = models.CharField(_("market"), max_length=8, choices=Market.choices, blank=True)
    age_bracket = models.CharField(
        _("age bracket"), max_length=16, choices=AgeBracket.choices, blank=True
    )
    # A person who works for a customer company (B2B): the company is a customer record too.
    company = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="people",
        limit_choices_to={"kind": "company"},
        verbose_name=_("company"),
    )
    store = models.ForeignKey(
        Store,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customers",
        verbose_name=_("local store"),
    )
    # As printed on an envelope, lines separated by newlines (letters go there).
    postal_address = models.TextField(_("postal address"), blank=True)
    # Values of the admin-defined CustomField, by field name; validated by services only.
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)

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
    """A way to reach a customer: an email address, a phone number or a social handle."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")
        SOCIAL = "social", _("Social network")

    class Network(models.TextChoices):
        FACEBOOK = "facebook", "Facebook"
        INSTAGRAM = "instagram", "Instagram"
        X = "x", "X (Twitter)"
        LINKEDIN = "linkedin", "LinkedIn"
        WHATSAPP = "whatsapp", "WhatsApp"
        TIKTOK = "tiktok", "TikTok"
        OTHER = "other", _("Other")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # Only for social handles: one kind with a network field, so that a new network is a
    # choice to add, not a new kind every query has to know.
    network = models.CharField(_("network"), max_length=16, choices=Network.choices, blank=True)
    # Emails are lower-cased and IDNA-normalised; phones are E.164 (+33612345678); handles are
    # lower-cased without the leading "@".
    value = models.CharField(_("value"), max_length=320)

    class Meta:
        verbose_name = _("identity")
        verbose_name_plural = _("identities")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "network", "value"], name="identity_unique_value"
            ),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.SOCIAL:
            return f"{self.get_network_display()} @{self.value}"
        return self.value


class CustomField(models.Model):
    """A profile field an admin adds to every customer record (values in Customer.custom_fields)."""

    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Choice")

    name = models.SlugField(
        _("name"), max_length=64, unique=True, help_text=_("Column name in imports and the API.")
    )
    label = models.CharField(_("label"), max_length=200)
    type = models.CharField(_("type"), max_length=8, choices=Type.choices, default=Type.TEXT)
    choices = models.JSONField(
        _("choices"), default=list, blank=True, help_text=_("For a choice field: the values.")
    )
    required_for_completeness = models.BooleanField(_("needed for a complete record"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.label


class RequiredProfileField(models.Model):
    """A built-in profile field that a complete customer record must have (set by an admin).

    Custom fields carry their own flag (CustomField.required_for_completeness).
    """

    class Field(models.TextChoices):
        FIRST_NAME = "first_name", _("First name")
        LAST_NAME = "last_name", _("Last name")
        COMPANY_NAME = "company_name", _("Company name")
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")
        LANGUAGE = "language", _("Language")
        MARKET = "market", _("Market (B2B/B2C)")
        AGE_BRACKET = "age_bracket", _("Age bracket")
        STORE = "store", _("Local store")

    field = models.CharField(_("field"), max_length=32, choices=Field.choices, unique=True)

    class Meta:
        verbose_name = _("field needed for a complete record")
        verbose_name_plural = _("fields needed for a complete record")
        ordering = ["field"]

    def __str__(self) -> str:
        return self.get_field_display()


class Segment(TimeStampedModel):
    """A named group of customers; membership is set by hand (or an import) until rules exist."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    customers = models.ManyToManyField(
        Customer, related_name="segments", blank=True, verbose_name=_("customers")
    )

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BusinessEvent(models.Model):
    """A fact from the company's systems about a customer: an order, a failed payment…"""

    class Kind(models.TextChoices):
        ORDER_PLACED = "order_placed", _("Order placed")
        ORDER_SHIPPED = "order_shipped", _("Order shipped")
        ORDER_DELIVERED = "order_delivered", _("Order delivered")
        PAYMENT_FAILED = "payment_failed", _("Payment failed")
        CARD_EXPIRING = "card_expiring", _("Card expiring")
        REFUND_ISSUED = "refund_issued", _("Refund issued")
        QUOTE_REQUESTED = "quote_requested", _("Quote requested")
        STORE_VISIT = "store_visit", _("Store visit")
        OTHER = "other", _("Other")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="business_events"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    # The sending system ("shop", "billing") and its own id of the event: a retried call with
    # the same pair records nothing new.
    source = models.CharField(_("source"), max_length=64, default="api")
    external_id = models.CharField(_("external id"), max_length=200, blank=True)
    title = models.CharField(_("title"), max_length=300, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("business event")
        verbose_name_plural = _("business events")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~models.Q(external_id=""),
                name="business_event_unique_external_id",
            )
        ]
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="event_customer_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.external_id}".strip()


class ProfileChange(models.Model):
    """One change of profile fields, who or what made it: the audit trail in the timeline."""

    class Source(models.TextChoices):
        AGENT = "agent", _("Agent")
        API = "api", _("API")
        IMPORT = "import", _("Import")
        COMPLETION_FORM = "completion_form", _("Customer, through the profile form")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="profile_changes"
    )
    source = models.CharField(_("source"), max_length=24, choices=Source.choices)
    # {field: [old, new]}; custom fields under their own name.
    changes = models.JSONField(_("changes"), default=dict)
    agent = models.ForeignKey(
        "agents.Agent", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("changed at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("profile change")
        verbose_name_plural = _("profile changes")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.customer_id} {', '.join(self.changes)}"
