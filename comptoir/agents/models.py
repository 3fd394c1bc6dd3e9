from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from comptoir.teams.queries import TeamPlace


class Agent(AbstractUser):
    """A person who works in Comptoir: an agent, or an admin who also configures it."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        AGENT = "agent", _("Agent")

    class Availability(models.TextChoices):
        AVAILABLE = "available", _("Available")
        AWAY = "away", _("Away")

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.AGENT)
    # Presence, for automatic assignment: online means available and seen lately (see
    # comptoir.routing.presence). The agent sets availability in the header.
    availability = models.CharField(
        _("availability"),
        max_length=16,
        choices=Availability.choices,
        default=Availability.AVAILABLE,
    )
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True, editable=False)

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

    @cached_property
    def team_places(self) -> "list[TeamPlace]":
        """The agent's teams, read once per request (request.user is loaded per request):
        the outsider gate and the header's links both ask them."""
        from comptoir.teams.queries import list_team_places

        return list_team_places(self)

    @property
    def leads_a_team(self) -> bool:
        return any(place.is_lead for place in self.team_places)

    @cached_property
    def outsourced_team_ids(self) -> list[int] | None:
        """The teams an outsider is confined to, or None for an agent who may see everything.

        Read once per request (request.user is loaded per request); see
        comptoir.teams.queries.find_outsourced_team_ids.
        """
        from comptoir.teams.queries import find_outsourced_team_ids

        return find_outsourced_team_ids(self)

    @property
    def is_outsider(self) -> bool:
        """An agent of an outsourced level-1 team: sees only the conversations routed to it."""
        return self.outsourced_team_ids is not None

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class ApiToken(models.Model):
    """A key a program (the shop, the ERP) uses to call the JSON API, with what it may do.

    Only a SHA-256 hash of the token is stored: the token itself is shown once, at creation.
    A plain hash is enough (no slow KDF) because tokens are 256 random bits, not passwords.
    """

    class Scope(models.TextChoices):
        CUSTOMERS_READ = "customers:read", _("Read customers, their consents and events")
        CUSTOMERS_WRITE = "customers:write", _("Create and change customers and identities")
        CONSENTS_WRITE = "consents:write", _("Record consent")
        EVENTS_WRITE = "events:write", _("Record business events")
        CUSTOMERS_EXPORT = "customers:export", _("Export everything held about a customer")
        MESSAGES_SEND = "messages:send", _("Send templated messages to customers")

    name = models.CharField(_("name"), max_length=120)
    # The first characters of the token, to recognise it in a list without revealing it.
    prefix = models.CharField(_("prefix"), max_length=16)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    scopes = models.JSONField(_("scopes"), default=list)
    created_by = models.ForeignKey(
        Agent, on_delete=models.SET_NULL, null=True, blank=True, related_name="api_tokens"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
