from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Agent(AbstractUser):
    """A person who works in Comptoir: an agent, or an admin who also configures it."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        AGENT = "agent", _("Agent")

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.AGENT)

    class Meta:
        verbose_name = _("agent")
        verbose_name_plural = _("agents")

    def save(self, *args: object, **kwargs: object) -> None:
        # The role is the one switch: an admin may open Django's admin, an agent may not.
        self.is_staff = self.role == self.Role.ADMIN or self.is_superuser
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN or self.is_superuser

    def __str__(self) -> str:
        return self.get_full_name() or self.username
