from datetime import date, timedelta

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from comptoir.conversations.models import Conversation
from comptoir.insights.kpis import Granularity
from comptoir.insights.models import SCORE_MAX, SCORE_MIN
from comptoir.sorting.models import Category
from comptoir.teams.models import Team

# A day-by-day table over more than this is unreadable and slow to draw.
LONGEST_PERIOD = timedelta(days=731)
GRANULARITY_CHOICES = [
    (Granularity.DAY.value, _("Day")),
    (Granularity.WEEK.value, _("Week")),
    (Granularity.MONTH.value, _("Month")),
]


def default_period() -> tuple[date, date]:
    today = timezone.localdate()
    return today - timedelta(days=27), today


class PeriodForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("All teams")
    )

    def __init__(self, *args: object, teams: QuerySet[Team], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if isinstance(start, date) and isinstance(end, date):
            if start > end:
                raise forms.ValidationError(_("The period ends before it starts."))
            if end - start > LONGEST_PERIOD:
                raise forms.ValidationError(_("The period is limited to two years."))
        return cleaned


class KpiFilterForm(PeriodForm):
    granularity = forms.ChoiceField(
        label=_("Per"), choices=GRANULARITY_CHOICES, initial=Granularity.WEEK.value
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[("", _("All channels")), *Conversation.Channel.choices],
        required=False,
    )
    category = forms.ChoiceField(
        label=_("Category"), choices=[("", _("All categories")), *Category.choices], required=False
    )


class SampleForm(PeriodForm):
    size = forms.IntegerField(label=_("Conversations"), min_value=1, max_value=50, initial=10)
    seed = forms.IntegerField(widget=forms.HiddenInput, required=False)


SCORE_CHOICES = [(score, str(score)) for score in range(SCORE_MIN, SCORE_MAX + 1)]


def score_field(label: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label, choices=SCORE_CHOICES, coerce=int, widget=forms.RadioSelect
    )


class QualityReviewForm(forms.Form):
    tone = score_field(_("Tone"))
    spelling = score_field(_("Spelling"))
    accuracy = score_field(_("Accuracy"))
    personalisation = score_field(_("Personalisation"))
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
