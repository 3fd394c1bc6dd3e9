from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from comptoir.consents.models import Purpose
from comptoir.consents.rules import Reason


class SendReason(models.TextChoices):
    """Why the sending path held back or refused a delivery, besides the consent rules."""

    NO_CHANNEL = "no_channel", _("No channel available for this message")
    PRESSURE_CHANNEL_LIMIT = "pressure_channel_limit", _("Too many messages on this channel")
    PRESSURE_OVERALL_LIMIT = "pressure_overall_limit", _("Too many messages overall")
    PRESSURE_MIN_DELAY = "pressure_min_delay", _("Too soon after the previous message")
    PRESSURE_QUIET_HOURS = "pressure_quiet_hours", _("Quiet hours")
    PRESSURE_SCORE = "pressure_score", _("Marketing pressure too high")
    QUALITY_GATE = "quality_gate", _("The quality gate found errors")
    TEMPLATE_ERROR = "template_error", _("The template could not be rendered")


class Delivery(models.Model):
    """One outbound send of one message to one recipient, and what became of it.

    Two kinds of message leave through a delivery: an agent's reply (`message`, a message of a
    conversation) and a templated message (`template_version` rendered for `customer` with
    `event` and `context`), which is rendered again at send time rather than stored.
    """

    class Status(models.TextChoices):
        # Marketing pressure put it off until next_attempt_at (the reason says which rule).
        HELD = "held", _("Held back")
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        # The provider may or may not have taken it (a worker died mid-send, the connection
        # broke after the message data went out): never resent by itself, lest the customer
        # get it twice; a person decides (admin actions "resend" and "mark as sent").
        UNCONFIRMED = "unconfirmed", _("Sent? Unconfirmed")
        FAILED = "failed", _("Failed")
        # The consent rules or the suppression list stopped it; it is never sent.
        REFUSED = "refused", _("Refused")
        # Sent, then returned by the recipient's server (a bounce naming this message).
        BOUNCED = "bounced", _("Bounced")

    # The indexes are few and the campaign's rows mostly left out of them: a campaign writes
    # each row three times (recorded, claimed, sent), and PostgreSQL writes every index the
    # row is in each time (its status is indexed). A foreign key whose column leads a
    # composite index has no index of its own (db_index=False): see Meta.
    message = models.ForeignKey(
        "conversations.Message",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
        db_index=False,
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
        db_index=False,
    )
    template = models.ForeignKey(
        "MessageTemplate",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    # The version rendered: the text the customer got, even after the template changed.
    template_version = models.ForeignKey(
        "MessageTemplateVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    event = models.ForeignKey(
        "customers.BusinessEvent",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    # Values the caller adds to the template's context (plain JSON).
    context = models.JSONField(default=dict, blank=True)
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
        db_index=False,
    )
    # Names the message whatever its channel ("campaign:12", "order_confirmation:event:88"):
    # one customer gets one delivery per key, so never the same message on two channels, and
    # never the same campaign twice.
    dedupe_key = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=16, default="email")
    purpose = models.CharField(max_length=16, choices=Purpose.choices, default=Purpose.SERVICE)
    recipient = models.CharField(max_length=320)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The id the provider gave the send (an anymail ESP), which its webhooks name.
    provider_message_id = models.CharField(max_length=200, blank=True)
    # The first open and the first click the tracking saw (events keep every one).
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # Why it was refused or held: a consent rule, a pressure rule, the quality gate.
    refusal_reason = models.CharField(
        max_length=48, choices=[*Reason.choices, *SendReason.choices], blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            # One message is sent once to one recipient on one channel, whatever retries do.
            models.UniqueConstraint(
                fields=["message", "channel", "recipient"],
                condition=models.Q(message__isnull=False),
                name="delivery_once_per_recipient",
            ),
            models.UniqueConstraint(
                fields=["customer", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="delivery_once_per_dedupe_key",
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "status"], name="delivery_campaign_status"),
            models.Index(fields=["customer", "-created_at"], name="delivery_customer_recent"),
            # What workers look for (queued, held, sending, unconfirmed) among the rows not
            # sent, which a sent row leaves. Their next_attempt_at is read from these rows.
            models.Index(
                fields=["status"], condition=~models.Q(status="sent"), name="delivery_unsent"
            ),
            # A provider's webhook names its own id; an SMTP send has none.
            models.Index(
                fields=["provider_message_id"],
                condition=~models.Q(provider_message_id=""),
                name="delivery_provider_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} {self.status}"


class Bounce(models.Model):
    """What came back for one address: a hard or soft bounce, or a complaint (spam report).

    The suppression list decides from these rows: a hard bounce or a complaint suppresses the
    address at once, soft bounces only when they repeat (messaging.services).
    """

    class Kind(models.TextChoices):
        HARD = "hard", _("Hard bounce")
        SOFT = "soft", _("Soft bounce")
        COMPLAINT = "complaint", _("Complaint")

    address = models.CharField(_("address"), max_length=320, db_index=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # The enhanced status code (RFC 3463), e.g. 5.1.1, when the report gives one.
    status = models.CharField(_("status"), max_length=16, blank=True)
    diagnostic = models.TextField(_("diagnostic"), blank=True)
    # Who holds the address, so that erasure finds the row (it names the person).
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bounces",
        verbose_name=_("customer"),
    )
    # The send it answers, when the report names our message.
    delivery = models.ForeignKey(
        Delivery,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bounces",
        verbose_name=_("delivery"),
    )
    inbound_email = models.ForeignKey(
        "mail.InboundEmail",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bounces",
        verbose_name=_("report"),
    )
    # For a provider's webhook event: provider, message and event, so a webhook the provider
    # posts twice records one bounce (a DSN is deduplicated by its inbound_email).
    provider_event = models.CharField(_("provider event"), max_length=300, blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("bounce")
        verbose_name_plural = _("bounces")
        ordering = ["-received_at", "-pk"]
        constraints = [
            # A report processed twice records its bounces once.
            models.UniqueConstraint(
                fields=["inbound_email", "address", "kind"], name="bounce_once_per_report"
            ),
            models.UniqueConstraint(
                fields=["provider_event"],
                condition=~models.Q(provider_event=""),
                name="bounce_once_per_provider_event",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.address} {self.kind} {self.status}".strip()


def default_greetings() -> list[str]:
    return ["Bonjour", "Bonsoir", "Madame", "Monsieur", "Chère", "Cher"]


def default_sign_offs() -> list[str]:
    return [
        "Cordialement",
        "Bien cordialement",
        "Bien à vous",
        "Belle journée",
        "Bonne journée",
        "Bonne soirée",
        "À bientôt",
        "Très cordialement",
    ]


def default_words_to_avoid() -> list[str]:
    # Words a French tone charter usually bans: they put the fault or the refusal first.
    return ["malheureusement", "impossible", "problème", "erreur de votre part", "vous devez"]


class ToneCharter(models.Model):
    """The company's tone charter (charte relationnelle), checked by the quality gate.

    One row holds the company's choices; without one, the defaults below apply.
    """

    greetings = models.JSONField(
        _("greetings"),
        default=default_greetings,
        help_text=_("An email must open with one of these words."),
    )
    sign_offs = models.JSONField(
        _("sign-offs"), default=default_sign_offs, help_text=_("An email must end with one.")
    )
    words_to_avoid = models.JSONField(_("words to avoid"), default=default_words_to_avoid)
    company_words = models.TextField(
        _("company words"),
        blank=True,
        help_text=_("Brand, product and place names the spelling check must accept, one per line."),
    )
    subject_max_characters = models.PositiveSmallIntegerField(
        _("subject length on a phone"),
        default=50,
        help_text=_("Beyond this, a phone's inbox cuts the subject."),
    )
    sms_max_segments = models.PositiveSmallIntegerField(_("SMS segments at most"), default=1)
    chat_max_characters = models.PositiveSmallIntegerField(
        _("chat answer length at most"), default=300
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("tone charter")
        verbose_name_plural = _("tone charters")

    def __str__(self) -> str:
        return str(_("Tone charter"))


class MessageKind(models.TextChoices):
    """What a template is, which decides the consent purpose and the quality-gate rules."""

    # Order, payment, after-sales, answers to the customer's own request: no opt-in needed.
    TRANSACTIONAL = "transactional", _("Transactional and service")
    # Welcome, satisfaction survey, follow-up: carries an unsubscribe link and the
    # reassurance blocks.
    RELATIONSHIP = "relationship", _("Relationship")
    MARKETING = "marketing", _("Marketing")


# Relationship messages are not prospecting, but the customer can leave them (the seeds ask for
# an unsubscribe link in every one): the only purpose an unsubscribe stops is marketing.
PURPOSE_OF_KIND = {
    MessageKind.TRANSACTIONAL: Purpose.SERVICE,
    MessageKind.RELATIONSHIP: Purpose.MARKETING,
    MessageKind.MARKETING: Purpose.MARKETING,
}


class MessageBlock(models.Model):
    """A piece of message written once and included everywhere: header, reassurance, footer.

    A template includes it by name (`{% include "reassurance" %}`) or extends it
    (`{% extends "layout" %}`); blocks are the only thing a template can include.
    """

    name = models.SlugField(_("name"), max_length=64, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    body = models.TextField(_("body"), help_text=_("MJML or HTML, with Jinja placeholders."))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("message block")
        verbose_name_plural = _("message blocks")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MessageTemplate(models.Model):
    """A message written once and rendered for each customer (subject and body are templates).

    Subject and body hold the live content; every save appends a MessageTemplateVersion, and
    `live_version` names the one a delivery was rendered from.
    """

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=MessageKind.choices)
    channel = models.CharField(_("channel"), max_length=16, default="email")
    subject = models.CharField(_("subject"), max_length=300)
    # The SMS version of the message, when it may also go by SMS (plain text, Jinja).
    sms_text = models.TextField(_("SMS text"), blank=True)
    body = models.TextField(_("body"), help_text=_("MJML or HTML, with Jinja placeholders."))
    # An example of the triggering event, so that a preview shows an order number and amounts.
    sample_event = models.JSONField(_("sample event"), default=dict, blank=True)
    live_version = models.ForeignKey(
        "MessageTemplateVersion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("live version"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def purpose(self) -> str:
        return PURPOSE_OF_KIND[MessageKind(self.kind)]


class MessageTemplateVersion(models.Model):
    """One saved state of a template; rows are only ever added."""

    template = models.ForeignKey(MessageTemplate, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("number"))
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"))
    sms_text = models.TextField(_("SMS text"), blank=True)
    author = models.ForeignKey(
        "agents.Agent",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("saved at"), default=timezone.now)

    class Meta:
        verbose_name = _("template version")
        verbose_name_plural = _("template versions")
        ordering = ["template", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="template_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.template} v{self.number}"


def tracking_default() -> bool:
    return settings.COMPTOIR_TRACKING


class TrackingPolicy(models.Model):
    """The company's choice about open and click tracking in templated emails: one row.

    Without a row, COMPTOIR_TRACKING decides. The row always has the primary key 1, so the
    database itself refuses a second one.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    open_tracking = models.BooleanField(
        _("open tracking"),
        default=tracking_default,
        help_text=_(
            "Put an invisible image in emails to learn when they are opened, for the customers "
            "who accepted profiling."
        ),
    )
    click_tracking = models.BooleanField(
        _("click tracking"),
        default=tracking_default,
        help_text=_(
            "Send links through Comptoir to learn which ones are clicked, except for the "
            "customers who objected to profiling."
        ),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("tracking policy")
        verbose_name_plural = _("tracking policy")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="tracking_policy_one_row")]

    def __str__(self) -> str:
        return str(_("Tracking policy"))


class TrackingEvent(models.Model):
    """An open or a click on one delivery: one row per delivery, kind, link and kind of visitor.

    A repeated hit counts on the row it repeats (`count`, `last_at`) instead of adding one, so
    a mail client that reloads the pixel at every display does not grow the table. Hits that
    look like a machine (a mail provider's prefetch, a security scanner) are kept apart, and
    do not stamp Delivery.opened_at / clicked_at.

    No IP address is kept: it would be personal data with no use here (no geolocation), and
    behind Apple's or Google's image proxies it is the proxy's anyway.
    """

    class Kind(models.TextChoices):
        OPEN = "open", _("Opened")
        CLICK = "click", _("Clicked")

    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="tracking_events", verbose_name=_("delivery")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    # The link's target for a click; empty for an open.
    url = models.URLField(_("link"), max_length=2048, blank=True)
    automated = models.BooleanField(
        _("probably a machine"),
        default=False,
        help_text=_("A mail provider's prefetch or a security scanner, not the customer."),
    )
    # The mail provider that reported it (an anymail webhook); empty for our own pixel and links.
    provider = models.CharField(_("reported by"), max_length=32, blank=True)
    # The first visitor's, cut short: enough to tell a phone from a scanner, no fingerprint.
    user_agent = models.CharField(_("user agent"), max_length=200, blank=True)
    count = models.PositiveIntegerField(_("count"), default=1)
    at = models.DateTimeField(_("first at"), default=timezone.now)
    last_at = models.DateTimeField(_("last at"), default=timezone.now)

    class Meta:
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        ordering = ["-at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "kind", "url", "automated"], name="tracking_event_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.kind} {self.url}".strip()
