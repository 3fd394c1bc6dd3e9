"""A postal letter: the PDF of one delivery, waiting to be printed and posted."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Letter(models.Model):
    """The PDF rendered for a delivery on the letter channel, and whether it was printed.

    The delivery is "sent" once the PDF is written: from there on, posting it is the work of
    a person, recorded here by `printed_at`.
    """

    delivery = models.OneToOneField(
        "messaging.Delivery",
        on_delete=models.CASCADE,
        related_name="letter",
        verbose_name=_("delivery"),
    )
    # Relative to MEDIA_ROOT: letters/<delivery id>.pdf.
    file = models.CharField(_("file"), max_length=200)
    pages = models.PositiveSmallIntegerField(_("pages"))
    # Carries a "Lu et approuvé, signature" area: the customer signs and sends it back.
    to_sign = models.BooleanField(_("to sign"), default=False)
    rendered_at = models.DateTimeField(_("rendered at"))
    printed_at = models.DateTimeField(_("printed at"), null=True, blank=True, db_index=True)
    printed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("printed by"),
    )

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        ordering = ["rendered_at", "pk"]

    def __str__(self) -> str:
        return self.file
