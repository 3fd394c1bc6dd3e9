"""Time Comptoir's ingest path (parse + customer + thread + store) on one database.

    ours.py DIR batch    the file-import path (`comptoir import-mail DIR`): import_emails,
                         files read from disk inside the timing, 200 emails per transaction
    ours.py DIR single   the live path, one email per transaction (IMAP; SMTP's worker
                         does the same work after the listener's own commit)

Run by run.py in a fresh process with DATABASE_URL and COMPTOIR_DATA_DIR set; prints JSON.
"""

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")
import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from comptoir.conversations.models import Conversation, Message  # noqa: E402
from comptoir.mail.importing import import_emails  # noqa: E402
from comptoir.mail.inbound import ingest_raw_email  # noqa: E402


def main() -> None:
    directory, mode = Path(sys.argv[1]), sys.argv[2]
    raws = [path.read_bytes() for path in sorted(directory.glob("*.eml"))]
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    if mode == "batch":
        import_emails(paths=[directory])
    else:
        for raw in raws:
            ingest_raw_email(raw, source="bench")  # acknowledges new requests, as live mail
    seconds = time.perf_counter() - started
    print(json.dumps({
        "messages": len(raws),
        "seconds": seconds,
        "rate": len(raws) / seconds,
        "conversations": Conversation.objects.count(),
        "stored": Message.objects.filter(direction=Message.Direction.INBOUND).count(),
    }))


if __name__ == "__main__":
    main()
