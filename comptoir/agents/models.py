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
        if self._state.adding and self.is_superuser:
            self.role = self.Role.ADMIN  # `comptoir createsuperuser` makes an admin
        # The role is the one switch: an admin may do everything, Django's admin included;
        # an agent works in the agent interface only.
        self.is_staff = self.is_superuser = self.role == self.Role.ADMIN
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN

    def __str__(self) -> str:
        return self.get_full_name() or self.username
