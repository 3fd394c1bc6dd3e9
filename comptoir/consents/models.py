"""The consent ledger, the notices it points to, the customer's preferences and the suppression list.

The ledger (`ConsentRecord`) is append-only: a change of mind is a new row, never an edit, so
that the history can be shown to the customer or to the CNIL as it happened.
"""

from datetime import time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Purpose(models.TextChoices):
    # Service and transactional messages (order, shipping, payment failure, answers to the
    # customer's own requests) rest on the contract and need no opt-in.
    SERVICE = "service", _("Service and transactional")
    MARKETING = "marketing", _("Marketing")
    PROFILING = "profiling", _("Profiling")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    # A postal letter, for sensitive cases and documents to sign.
    LETTER = "letter", _("Letter")
    # For purposes that are not tied to a channel (profiling); a record on "any" applies to
    # every channel.
    ANY = "any", _("Any channel")


class ConsentStatus(models.TextChoices):
    GRANTED = "granted", _("Granted")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class LegalBasis(models.TextChoices):
    CONSENT = "consent", _("Consent")
    CONTRACT = "contract", _("Contract")
    LEGITIMATE_INTEREST = "legitimate_interest", _("Legitimate interest")


class Source(models.TextChoices):
    FORM = "form", _("Web form")
    IMPORT = "import", _("Import")
    AGENT = "agent", _("Agent")
    API = "api", _("API")
    PREFERENCE_CENTRE = "preference_centre", _("Preference centre")
    # A mail provider's POST to our List-Unsubscribe URL (RFC 8058), on the customer's click.
    ONE_CLICK = "one_click", _("One-click unsubscribe")
    # The customer marked our email as spam; their provider sent us the report (ARF).
    COMPLAINT = "complaint", _("Spam complaint")


class AppendOnlyError(Exception):
    """A ledger row was about to be changed or deleted: append a new one instead."""


class NoticeVersion(models.Model):
    """The exact text of an information notice shown when consent is collected, per version."""

    name = models.SlugField(_("name"), max_length=64)
    version = models.CharField(_("version"), max_length=32)
    language = models.CharField(_("language"), max_length=8)
    text = models.TextField(_("text"))
    published_at = models.DateTimeField(_("published at"), default=timezone.now)

    class Meta:
        verbose_name = _("notice version")
        verbose_name_plural = _("notice versions")
        constraints = [
            models.UniqueConstraint(
                fields=["name", "version", "language"], name="notice_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.version} ({self.language})"


class ConsentRecordQuerySet(models.QuerySet["ConsentRecord"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("consent records are never updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        # Erasing a customer still removes their rows: the cascade runs its own SQL.
        raise AppendOnlyError("consent records are never deleted one by one")


class ConsentRecord(models.Model):
    """One statement of a customer's choice for a purpose on a channel, with its proof."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="consent_records"
    )
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=16, choices=ConsentStatus.choices)
    legal_basis = models.CharField(
        _("legal basis"), max_length=24, choices=LegalBasis.choices, default=LegalBasis.CONSENT
    )
    source = models.CharField(_("source"), max_length=24, choices=Source.choices)
    # Proof: when the customer expressed it (an import carries the original date), the notice
    # they were shown, and for a web page the IP address and user agent of the request.
    collected_at = models.DateTimeField(_("collected at"), default=timezone.now)
    notice = models.ForeignKey(
        NoticeVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consent_records",
        verbose_name=_("notice"),
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=500, blank=True)
    # Whatever else proves it: the import file and line, the agent and the call.
    evidence = models.CharField(_("evidence"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = ConsentRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["collected_at", "pk"]
        indexes = [
            models.Index(
                fields=["customer", "purpose", "channel", "collected_at"],
                name="consent_customer_purpose",
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.purpose}/{self.channel} {self.status}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("consent records are never updated: append a new one")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("consent records are never deleted one by one")


class Frequency(models.TextChoices):
    AS_RELEVANT = "as_relevant", _("As often as relevant")
    WEEKLY = "weekly", _("At most one message a week")
    MONTHLY = "monthly", _("At most one message a month")


class Preference(models.Model):
    """What the customer chose in the preference centre besides consent: topics and frequency.

    Which marketing channels they accept is consent, and lives in the ledger only.
    """

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, related_name="preference"
    )
    # Codes from COMPTOIR_MARKETING_TOPICS; without a row, every topic is wanted.
    topics = models.JSONField(_("topics"), default=list, blank=True)
    frequency = models.CharField(
        _("frequency"), max_length=16, choices=Frequency.choices, default=Frequency.AS_RELEVANT
    )
    # The channel the customer would rather be reached on, among those consent allows.
    preferred_channel = models.CharField(
        _("preferred channel"),
        max_length=8,
        choices=[(c.value, c.label) for c in (Channel.EMAIL, Channel.SMS, Channel.LETTER)],
        blank=True,
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("preference")
        verbose_name_plural = _("preferences")

    def __str__(self) -> str:
        return f"{self.customer_id} {self.frequency}"


class Suppression(models.Model):
    """An address or phone number we must not send to on a channel, whoever owns it.

    The ledger holds a customer's choices; this list holds what is tied to the address itself:
    hard bounces, complaints from a provider's feedback loop, unsubscribes that arrived by
    address only (an old list imported, a mailto unsubscribe), manual blocks.
    """

    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        HARD_BOUNCE = "hard_bounce", _("Hard bounce")
        # Soft bounces that kept coming: the mailbox is as good as gone.
        SOFT_BOUNCES = "soft_bounces", _("Repeated soft bounces")
        COMPLAINT = "complaint", _("Complaint")
        MANUAL = "manual", _("Manual")

    # Normalised like Identity.value: lower-cased email, E.164 phone.
    value = models.CharField(_("address or phone"), max_length=320)
    channel = models.CharField(
        _("channel"),
        max_length=8,
        choices=[(c.value, c.label) for c in (Channel.EMAIL, Channel.SMS)],
    )
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("suppression")
        verbose_name_plural = _("suppression list")
        constraints = [
            models.UniqueConstraint(fields=["value", "channel"], name="suppression_unique_value")
        ]

    def __str__(self) -> str:
        return f"{self.value} ({self.channel}, {self.reason})"


class SolicitationType(models.TextChoices):
    """How the company reached out to a customer; each weighs on them differently."""

    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    LETTER = "letter", _("Letter")
    PUSH = "push", _("Push notification")
    CALL = "call", _("Outbound call")
    MEETING = "meeting", _("Meeting")


def default_type_weights() -> dict[str, dict[str, float]]:
    # A meeting or a call asks more of the customer, and is remembered longer, than an email
    # read in passing; a push is the lightest touch and forgotten in days.
    return {
        SolicitationType.EMAIL: {"weight": 1.0, "half_life_days": 7},
        SolicitationType.SMS: {"weight": 2.0, "half_life_days": 14},
        SolicitationType.LETTER: {"weight": 2.0, "half_life_days": 30},
        SolicitationType.PUSH: {"weight": 0.5, "half_life_days": 3},
        SolicitationType.CALL: {"weight": 3.0, "half_life_days": 14},
        SolicitationType.MEETING: {"weight": 4.0, "half_life_days": 30},
    }


def default_caps() -> list[dict[str, object]]:
    # Common practice in French retail: about three emails a week at most, SMS kept rare
    # (a few a month), and all channels together capped by week and by month.
    return [
        {"type": SolicitationType.EMAIL, "max": 3, "days": 7},
        {"type": SolicitationType.SMS, "max": 4, "days": 30},
        {"type": SolicitationType.LETTER, "max": 2, "days": 30},
        {"type": SolicitationType.PUSH, "max": 3, "days": 7},
        {"type": "", "max": 4, "days": 7},
        {"type": "", "max": 12, "days": 30},
    ]


def default_quiet_weekdays() -> list[int]:
    return [6]  # Sunday


class PressurePolicy(models.Model):
    """The company's marketing-pressure rules; one row, edited in the admin.

    Without a row, the defaults below apply. Weights and half-lives feed the score kept per
    customer: after changing a half-life or raising a cap, run `comptoir rebuild-pressure`.
    """

    type_weights = models.JSONField(
        _("weight and half-life per solicitation type"),
        default=default_type_weights,
        help_text=_(
            'Per type: {"weight": points, "half_life_days": days after which it counts half}.'
        ),
    )
    caps = models.JSONField(
        _("caps"),
        default=default_caps,
        help_text=_(
            'At most "max" solicitations in "days" days, per "type" (empty type: all channels).'
        ),
    )
    min_delay_hours = models.FloatField(
        _("minimum delay between two solicitations (hours)"), default=24
    )
    score_threshold = models.FloatField(
        _("score threshold"),
        default=8.0,
        help_text=_("No relationship or marketing message while the score is at or above it."),
    )
    quiet_from = models.TimeField(_("quiet hours from"), default=time(20, 0))
    quiet_until = models.TimeField(_("quiet hours until"), default=time(8, 0))
    quiet_weekdays = models.JSONField(
        _("quiet days of the week"),
        default=default_quiet_weekdays,
        blank=True,
        help_text=_("Whole days without solicitation: 0 = Monday … 6 = Sunday."),
    )
    quiet_on_public_holidays = models.BooleanField(_("quiet on public holidays"), default=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Paris")
    public_holidays_country = models.CharField(
        _("country of the public holidays"), max_length=2, default="FR"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("pressure policy")
        verbose_name_plural = _("pressure policies")

    def __str__(self) -> str:
        return str(_("Marketing pressure policy"))

    def clean(self) -> None:
        from comptoir.consents.pressure_rules import PolicyError, Policy

        try:
            Policy.of(self)
        except PolicyError as error:
            raise ValidationError(str(error)) from error


class Solicitation(models.Model):
    """One time the company reached out to a customer, on any channel; rows are only added.

    The history behind the pressure score: shown on the customer's page, and read again by
    `rebuild_pressure_state`. A send never reads it (see PressureState).
    """

    # Indexed by solicitation_customer_recent, which it leads (Meta).
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="solicitations",
        db_index=False,
    )
    type = models.CharField(_("type"), max_length=16, choices=SolicitationType.choices)
    # A messaging.models.MessageKind value: transactional, relationship or marketing.
    kind = models.CharField(_("kind"), max_length=16)
    at = models.DateTimeField(_("at"))
    # Who recorded it ("sending", "api", a shop's name…) and its own id of it: a retried API
    # call with the same pair records nothing new.
    source = models.CharField(_("source"), max_length=64, default="sending")
    external_id = models.CharField(_("external id"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("solicitation")
        verbose_name_plural = _("solicitations")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~models.Q(external_id=""),
                name="solicitation_unique_external_id",
            )
        ]
        indexes = [models.Index(fields=["customer", "-at"], name="solicitation_customer_recent")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.type} {self.at:%Y-%m-%d %H:%M}"


class PressureState(models.Model):
    """What a send needs to know of a customer's past solicitations, in one small row.

    Kept up to date by record_solicitation under a row lock, so that checking pressure reads
    one row instead of the history: the decayed count per type at `scored_at`, and the most
    recent solicitations the caps and the minimum delay look at (bounded by the largest cap).
    """

    customer = models.OneToOneField(
        "customers.Customer",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="pressure_state",
    )
    # {type: decayed count at scored_at}; the weight is applied when read, so that a new
    # weight takes effect at once.
    decayed_counts = models.JSONField(default=dict)
    scored_at = models.DateTimeField(null=True)
    # [[unix time, type, kind], …], oldest first.
    recent = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("pressure state")
        verbose_name_plural = _("pressure states")

    def __str__(self) -> str:
        return f"{self.customer_id} pressure"
