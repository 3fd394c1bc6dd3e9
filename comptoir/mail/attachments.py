"""Attachment content types are sniffed from the bytes: the sender's claim can lie."""

import puremagic


def sniff_content_type(content: bytes, declared: str) -> str:
    """Return the MIME type the content really has, or the declared one if unknown."""
    if not content:
        return declared or "application/octet-stream"
    try:
        matches = puremagic.magic_string(content[:8192])
    except (puremagic.PureError, ValueError):
        matches = []
    for match in matches:
        if match.mime_type:
            return match.mime_type
    return declared or "application/octet-stream"
