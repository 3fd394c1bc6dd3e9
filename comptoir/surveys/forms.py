from django import forms
from django.utils.translation import gettext_lazy as _

from comptoir.surveys.models import Rating
from comptoir.surveys.services import COMMENT_MAX_LENGTH


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("What do you think of our answer?"),
        choices=Rating.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose one answer.")},
    )
    comment = forms.CharField(
        label=_("A comment? (optional)"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Would you like to tell us more?"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
