"""IMAP polling. PLACEHOLDER: a helper writes the real module."""


def poll_all_mailboxes() -> int:
    return 0
