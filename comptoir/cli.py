"""The `comptoir` command: every role and tool of Comptoir, as Django management commands.

`comptoir serve`, `comptoir import-mail PATH`… run the management command of the same name
with dashes turned into underscores, so `comptoir migrate` and the other Django commands work
too.
"""

import os
import sys

USAGE = """usage: comptoir COMMAND [options]

Run Comptoir:
  serve [--demo]        every role in one process group (web :8000, worker, mail-in :2525)
  web                   the web role (ASGI: agent UI, API, WebSockets)
  worker                the background worker (tasks and timers)
  mail-in               the inbound SMTP/LMTP listener
  outbox                the demo's outbox: keeps what Comptoir sends as .eml files
  poll-mail             poll the IMAP mailboxes once (the worker does it every minute)

Email tools:
  import-mail PATH      import an .eml file, a Maildir or an mbox (idempotent)
  parse-mail FILE       print what Comptoir reads in an email (--json)
  classify FILE         sort an email: category, level, language, sentiment (--json)
  bounce-check FILE     hard or soft bounce, complaint, auto-reply or none (--json)
  lint-message FILE     the quality gate on a template or message; exit 1 on errors (--json)
  load-catalogue        add the ready-made French message templates and blocks (idempotent)
  campaign send ID      launch a campaign and record its deliveries at its rate (resumable)
  campaign report ID    a campaign's figures: sent, held, not consented, opened… (--json)
  train-classifier      retrain the sorting classifier, print its held-out accuracy

Customers:
  import-customers FILE import customers from .csv or .xlsx; all rows or none (--dry-run, --json)
  create-api-token NAME --scope SCOPE …  print a new JSON API token (shown once)

Administration: any Django command, e.g. migrate, createsuperuser, shell.
"""


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(USAGE)
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")
    from django.core.management import execute_from_command_line

    command = argv[0].replace("-", "_")
    execute_from_command_line(["comptoir", command, *argv[1:]])


if __name__ == "__main__":
    main()
