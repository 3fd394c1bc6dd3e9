from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from comptoir.core.models import TimeStampedModel


class Team(TimeStampedModel):
    """A group of agents who handle conversations together (level 1, billing, experts…)."""

    class PublicHolidays(models.TextChoices):
        FRANCE = "FR", _("France")
        NONE = "", _("None")

    class AssignmentMode(models.TextChoices):
        NONE = "none", _("None: agents take conversations from the queue")
        ROUND_ROBIN = "round_robin", _("Round robin among online members")
        LEAST_LOADED = "least_loaded", _("Least loaded online member")

    name = models.CharField(_("name"), max_length=100, unique=True)
    # The team every conversation goes to when no routing rule sends it elsewhere.
    is_default = models.BooleanField(_("default team"), default=False)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Paris")
    public_holidays = models.CharField(
        _("public holidays"),
        max_length=8,
        choices=PublicHolidays.choices,
        default=PublicHolidays.FRANCE,
        blank=True,
        help_text=_("Public holidays on which the team is closed."),
    )
    # Internal address for SLA alerts (a shared inbox, a manager); members are told too.
    alert_email = models.EmailField(_("alert email"), blank=True)
    # An outsourced team (a level-1 contractor) sees only the conversations routed to it and
    # no customer record: see comptoir.routing.outsiders.
    is_outsourced = models.BooleanField(
        _("outsourced (restricted)"),
        default=False,
        help_text=_(
            "Members who belong only to outsourced teams see only the conversations routed "
            "to their teams, and no customer record."
        ),
    )
    assignment_mode = models.CharField(
        _("assignment"),
        max_length=16,
        choices=AssignmentMode.choices,
        default=AssignmentMode.NONE,
        help_text=_("How a conversation routed to this team is given to one of its members."),
    )
    # The round-robin cursor: the member given the last conversation. Moved only by a
    # conditional UPDATE, so that two workers assigning at once never pick the same member.
    last_assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Membership",
        related_name="teams",
        verbose_name=_("members"),
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="team_one_default"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """An agent's place in a team; a lead receives the team's SLA alerts."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    is_lead = models.BooleanField(_("team lead"), default=False)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["team", "agent"], name="membership_once_per_team")
        ]

    def __str__(self) -> str:
        return f"{self.agent} · {self.team}"


class BusinessHours(models.Model):
    """One opening interval on one weekday; a day may have several (9:00–12:30, 14:00–18:00)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="business_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens_at = models.TimeField(_("opens at"))
    # 00:00 means midnight at the end of the day.
    closes_at = models.TimeField(_("closes at"), help_text=_("00:00 means midnight."))

    class Meta:
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")
        ordering = ["team", "weekday", "opens_at"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"


class Holiday(models.Model):
    """A closed day: for one team, or for the whole company when no team is set."""

    team = models.ForeignKey(
        Team,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="holidays",
        verbose_name=_("team"),
        help_text=_("Empty: the whole company is closed."),
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()
