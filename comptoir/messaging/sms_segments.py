"""How many SMS segments a text costs: GSM 7-bit when every character is in the GSM 03.38
alphabet, UCS-2 otherwise (one "é" is in GSM, one "ê" or an emoji makes the whole SMS UCS-2).

Written here rather than taken from a library: the rule is short and fixed (3GPP TS 23.038),
and the packages that implement it bring a PDU encoder we do not need.
"""

from dataclasses import dataclass

GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Characters of the extension table: each costs two septets (an escape, then the character).
GSM_EXTENSION = set("^{}\\[~]|€\f")

GSM_SINGLE, GSM_PART = 160, 153  # a concatenated SMS loses 7 septets to its header
UCS2_SINGLE, UCS2_PART = 70, 67


@dataclass(frozen=True)
class SmsLength:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def measure_sms(text: str) -> SmsLength:
    """Return the encoding, length and number of segments an SMS of this text takes."""
    if all(char in GSM_BASIC or char in GSM_EXTENSION for char in text):
        units = sum(2 if char in GSM_EXTENSION else 1 for char in text)
        return SmsLength("GSM-7", units, segments_for(units, GSM_SINGLE, GSM_PART))
    units = len(text.encode("utf-16-le")) // 2
    return SmsLength("UCS-2", units, segments_for(units, UCS2_SINGLE, UCS2_PART))


def segments_for(units: int, single: int, part: int) -> int:
    if units == 0:
        return 0
    return 1 if units <= single else -(-units // part)
