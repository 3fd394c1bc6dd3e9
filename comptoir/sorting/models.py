from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Category(models.TextChoices):
    INFORMATION_REQUEST = "information_request", _("Information request")
    # "Complaint" alone is already the suppression reason (a spam report): a context keeps
    # the two apart in the catalogue.
    COMPLAINT = "complaint", pgettext_lazy("conversation category", "Complaint")
    TECHNICAL_PROBLEM = "technical_problem", _("Technical problem")
    BILLING = "billing", _("Billing")
    ORDER_DELIVERY = "order_delivery", _("Order and delivery")
    OTHER = "other", _("Other")


class Level(models.TextChoices):
    # "1" and not "level_1": the value is what `comptoir classify --json` prints.
    LEVEL_1 = "1", _("Level 1")
    EXPERT = "expert", _("Expert")


class Sentiment(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    NEUTRAL = "neutral", _("Neutral")
    POSITIVE = "positive", _("Positive")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")


class Classification(models.Model):
    """How an inbound conversation was sorted: predicted by the classifier, or corrected by a
    manager. A corrected classification is never overwritten and is a training example."""

    conversation = models.OneToOneField(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="classification"
    )
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    # ISO 639-1 code from comptoir.mail.language; empty when the text is too short to tell.
    language = models.CharField(_("language"), max_length=8, blank=True)
    sentiment = models.CharField(_("sentiment"), max_length=16, choices=Sentiment.choices)
    urgency = models.CharField(_("urgency"), max_length=16, choices=Urgency.choices)
    # The classifier's probability for the category it chose.
    confidence = models.FloatField(_("confidence"), default=0.0)
    model_version = models.PositiveIntegerField(_("model version"), null=True, blank=True)
    predicted_at = models.DateTimeField(_("predicted at"))
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("corrected by"),
    )
    corrected_at = models.DateTimeField(_("corrected at"), null=True, blank=True)

    class Meta:
        verbose_name = _("classification")
        verbose_name_plural = _("classifications")
        indexes = [models.Index(fields=["category", "level"], name="sorting_category_level")]

    def __str__(self) -> str:
        return f"{self.conversation_id}: {self.category}/{self.level}"

    @property
    def is_corrected(self) -> bool:
        return self.corrected_at is not None


class ClassifierModel(models.Model):
    """One trained version of the classifier; the latest one is used.

    The fitted estimators are kept in the database, not in DATA_DIR: the web and worker roles
    may run on different machines that share only the database, a new version reaches every
    process without copying files, and it is small (about a megabyte compressed).
    """

    version = models.PositiveIntegerField(_("version"), unique=True)
    trained_at = models.DateTimeField(_("trained at"))
    training_size = models.PositiveIntegerField(_("training examples"))
    corrections = models.PositiveIntegerField(_("corrected conversations used"), default=0)
    # Held-out accuracy per target, e.g. {"category": 0.84, "level": 0.8, ...}.
    accuracy = models.JSONField(_("held-out accuracy"), default=dict)
    training_seconds = models.FloatField(_("training time (s)"), default=0.0)
    # joblib dump (zlib-compressed) of comptoir.sorting.classifier.Classifier. Only ever
    # written by retrain(): unpickling is code execution, so nothing else may fill it.
    pipeline = models.BinaryField(_("fitted pipeline"))

    class Meta:
        verbose_name = _("classifier model")
        verbose_name_plural = _("classifier models")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"v{self.version}"
