from django import forms
from django.utils.translation import gettext_lazy as _

from comptoir.sorting.models import Category, Level, Sentiment, Urgency


class CorrectionForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    level = forms.ChoiceField(label=_("Level"), choices=Level.choices)
    sentiment = forms.ChoiceField(label=_("Sentiment"), choices=Sentiment.choices)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices)
