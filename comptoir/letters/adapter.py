"""The letter channel adapter: a delivery becomes a PDF in MEDIA_ROOT, ready to print.

"Sent" means the letter is written and waits in the list of letters to print (views.py);
a retry rewrites the same file, so a letter is never there twice.
"""

from django.utils import timezone

from comptoir.letters.pdf import LetterContent, render_letter
from comptoir.letters.services import store_letter
from comptoir.messaging.adapters import PermanentSendError
from comptoir.messaging.models import Delivery
from comptoir.messaging.outgoing import Outgoing

# What asks for the customer's signature area ("Lu et approuvé, signature"): the caller's
# context value, or, for a template that is always a document to sign, a marker in its body
# (an element with the attribute data-to-sign) - templates have no field for it.
TO_SIGN = "to_sign"
TO_SIGN_MARKER = "data-to-sign"


class LetterAdapter:
    def send(self, delivery: Delivery, outgoing: Outgoing) -> None:
        if not delivery.recipient.strip():
            raise PermanentSendError("no postal address")
        to_sign = bool((delivery.context or {}).get(TO_SIGN)) or TO_SIGN_MARKER in outgoing.html
        rendered = render_letter(
            LetterContent(
                recipient=delivery.recipient,
                subject=outgoing.subject,
                body_html=outgoing.html,
                written_on=timezone.localdate(),
                to_sign=to_sign,
                reference=f"{delivery.pk}",
            )
        )
        store_letter(delivery=delivery, rendered=rendered, to_sign=to_sign)
