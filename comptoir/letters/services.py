"""Changes to letters: the PDF written for a delivery, and a letter marked as printed."""

import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from comptoir.agents.models import Agent
from comptoir.letters.models import Letter
from comptoir.letters.pdf import RenderedLetter
from comptoir.messaging.models import Delivery

LETTERS_DIR = "letters"


def letter_path(delivery: Delivery) -> str:
    """Return the PDF's path under MEDIA_ROOT: one file per delivery, so a retry rewrites it."""
    return f"{LETTERS_DIR}/{delivery.pk}.pdf"


def write_atomically(path: Path, data: bytes) -> None:
    """Write the file whole or not at all: a crash leaves the old file or none, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@transaction.atomic
def store_letter(*, delivery: Delivery, rendered: RenderedLetter, to_sign: bool) -> Letter:
    """Write the delivery's PDF and record the letter, ready to print; idempotent."""
    name = letter_path(delivery)
    write_atomically(Path(settings.MEDIA_ROOT) / name, rendered.pdf)
    letter, _created = Letter.objects.update_or_create(
        delivery=delivery,
        defaults={
            "file": name,
            "pages": rendered.pages,
            "to_sign": to_sign,
            "rendered_at": timezone.now(),
        },
    )
    return letter


def mark_letter_printed(*, letter: Letter, agent: Agent) -> bool:
    """Record that the letter was printed for posting; False if someone already did."""
    updated = Letter.objects.filter(pk=letter.pk, printed_at__isnull=True).update(
        printed_at=timezone.now(), printed_by=agent
    )
    return updated == 1
