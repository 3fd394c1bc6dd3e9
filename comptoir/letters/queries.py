"""Reads of letters: the ones to print, and one letter's file."""

from pathlib import Path

from django.conf import settings
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from comptoir.letters.models import Letter


def list_letters_to_print() -> QuerySet[Letter]:
    return (
        Letter.objects.filter(printed_at__isnull=True)
        .select_related("delivery__customer", "delivery__template")
        .order_by("rendered_at", "pk")
    )


def list_printed_letters(limit: int = 50) -> QuerySet[Letter]:
    return (
        Letter.objects.filter(printed_at__isnull=False)
        .select_related("delivery__customer", "delivery__template", "printed_by")
        .order_by("-printed_at", "-pk")[:limit]
    )


def get_letter(pk: int) -> Letter:
    """Return the letter or raise Http404."""
    return get_object_or_404(Letter, pk=pk)


def letter_file(letter: Letter) -> Path:
    """Return the letter's PDF on disk; its name is ours (letters/<id>.pdf), never a user's."""
    return Path(settings.MEDIA_ROOT) / letter.file
