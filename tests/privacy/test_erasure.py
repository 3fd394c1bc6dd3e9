"""Erasure: nothing of the person is left in any table, their statistics are."""

from pathlib import Path

import pytest
from django.conf import settings
from pypdf import PdfReader

from comptoir.consents.models import Channel, ConsentRecord, Purpose, Suppression
from comptoir.consents.rules import may_send
from comptoir.conversations.models import Attachment, Conversation, Message
from comptoir.customers.models import BusinessEvent, Customer, Identity
from comptoir.mail.models import InboundEmail
from comptoir.letters.models import Letter
from comptoir.messaging.models import Delivery, MessageTemplate
from comptoir.messaging.sending import Outbound, send_outbound
from comptoir.messaging.services import save_message_template
from comptoir.privacy.audit import SYSTEM
from comptoir.privacy.erasure import ErasureError, erase_customer
from comptoir.privacy.models import AuditEntry
from comptoir.sms.models import SmsSend
from tests.privacy.conftest import (
    ATTACHMENT_CONTENT,
    EMAIL,
    ERASED_VALUES,
    dump_database,
    email_with_attachment,
    ingest,
    scan_database,
)

pytestmark = pytest.mark.django_db(transaction=True)


def media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_erasure_leaves_no_trace_in_any_table_or_file(philomene, paul, admin_agent):
    before = scan_database(ERASED_VALUES)
    tables = {table for table, _column, _needle in before}
    # The scan can see her: in the record, identities, messages, raw emails, the ledger,
    # events, profile changes and the admin history.
    assert {
        "customers_customer",
        "customers_identity",
        "conversations_message",
        "conversations_conversation",
        "conversations_attachment",
        "mail_inboundemail",
        "mail_autoreplylog",
        "messaging_delivery",
        "consents_consentrecord",
        "consents_suppression",
        "customers_businessevent",
        "customers_profilechange",
        "django_admin_log",
    } <= tables
    assert any(ATTACHMENT_CONTENT in p.read_bytes() for p in media_files())

    erase_customer(customer=philomene, actor=admin_agent)

    assert scan_database(ERASED_VALUES) == set()
    assert not any(ATTACHMENT_CONTENT in p.read_bytes() for p in media_files())


OLD_NUMBER = "+33699887766"  # a number her SMS went to, no longer on her record


def test_erasure_takes_her_letters_and_the_numbers_her_sms_went_to(philomene, admin_agent):
    philomene.postal_address = "Philomène Zorglub\n3 impasse des Mandarines\n75011 Paris"
    philomene.save()
    letter_template = save_message_template(
        template=MessageTemplate(slug="avenant"),
        subject="Avenant à votre contrat",
        body="<p>{{ greeting }}</p><p>Voici l'avenant à votre contrat.</p>",
        author=None,
        name="avenant",
        kind="transactional",
        channel="letter",
    )
    # Sent through the sending path: the worker renders the PDF once the delivery commits.
    sent = send_outbound(Outbound(template=letter_template, customer=philomene))
    letter = Letter.objects.get(delivery=sent)
    pdf = Path(settings.MEDIA_ROOT) / letter.file
    assert "3 impasse des Mandarines" in "".join(p.extract_text() for p in PdfReader(pdf).pages)
    sms = Delivery.objects.create(
        customer=philomene, channel="sms", recipient=OLD_NUMBER, status=Delivery.Status.SENT
    )
    SmsSend.objects.create(
        delivery=sms, to=OLD_NUMBER, encoding="GSM-7", segments=1, state=SmsSend.State.ACCEPTED
    )
    needles = [*ERASED_VALUES, "Mandarines", OLD_NUMBER, "699887766"]
    # The letter's row holds only the PDF's path; the PDF holds her name and address.
    assert "sms_smssend" in {table for table, _column, _needle in scan_database(needles)}

    erase_customer(customer=philomene, actor=admin_agent)

    assert scan_database(needles) == set()
    assert not pdf.exists()
    assert not Letter.objects.exists()
    # What the figures count stays: the channel and the outcome of each delivery.
    assert {(d.channel, d.status) for d in Delivery.objects.filter(pk__in=[sent.pk, sms.pk])} == {
        ("letter", Delivery.Status.SENT),
        ("sms", Delivery.Status.SENT),
    }


def test_erasure_keeps_the_statistics_and_leaves_others_untouched(philomene, paul, admin_agent):
    paul_before = dump_database()
    conversation = Conversation.objects.get(customer=philomene)
    messages_before = list(
        Message.objects.filter(conversation=conversation).values_list(
            "direction", "created_at", "author_id"
        )
    )

    erase_customer(customer=philomene, actor=admin_agent)

    # Her conversation stays as an anonymous shell: same messages, directions, times.
    conversation.refresh_from_db()
    assert conversation.customer_id == philomene.pk
    assert conversation.subject == ""
    assert conversation.first_response_at is not None
    assert (
        list(
            Message.objects.filter(conversation=conversation).values_list(
                "direction", "created_at", "author_id"
            )
        )
        == messages_before
    )
    assert Delivery.objects.filter(message__conversation=conversation).count() == 2
    event = BusinessEvent.objects.get(customer=philomene)
    assert (event.kind, str(event.amount), event.currency) == ("order_placed", "49.90", "EUR")
    assert (event.title, event.data, event.external_id) == ("", {}, "")
    philomene.refresh_from_db()
    assert (philomene.first_name, philomene.last_name) == ("", "")
    assert philomene.display_name == f"#{philomene.pk}"
    assert not Identity.objects.filter(customer=philomene).exists()
    assert not ConsentRecord.objects.filter(customer=philomene).exists()
    assert not Attachment.objects.filter(message__conversation=conversation).exists()
    assert not philomene.segments.exists()
    # Paul's rows are exactly as they were, his attachment file too.
    after = dump_database()
    for table, key in [
        ("customers_customer", paul.pk),
        ("customers_identity", Identity.objects.get(customer=paul).pk),
        ("conversations_conversation", Conversation.objects.get(customer=paul).pk),
        ("mail_inboundemail", InboundEmail.objects.get(message__customer=paul).pk),
        ("customers_businessevent", BusinessEvent.objects.get(customer=paul).pk),
    ]:
        assert after[table][key] == paul_before[table][key]
    assert ConsentRecord.objects.filter(customer=paul).count() == 2
    paul_attachment = Attachment.objects.get(message__customer=paul)
    assert paul_attachment.file.read() == b"facture de Paul"
    assert InboundEmail.objects.get(message__customer=paul).raw


def test_erased_address_stays_suppressed_as_a_hash(philomene, admin_agent):
    erase_customer(customer=philomene, actor=admin_agent)

    assert not Suppression.objects.filter(value=EMAIL).exists()
    hashed = Suppression.objects.get(channel=Channel.EMAIL)
    assert hashed.value.startswith("hmac-sha256:")
    # The bounce was a bounce before the erasure; the phone gets an unsubscribe.
    assert hashed.reason == Suppression.Reason.HARD_BOUNCE
    assert Suppression.objects.get(channel=Channel.SMS).reason == Suppression.Reason.UNSUBSCRIBED

    # She writes again: a new record, and the hash still stops sending to her.
    message = ingest(email_with_attachment(message_id="<zanzibar-2@exemple.fr>", attachment=None))
    again = message.customer
    assert again.pk != philomene.pk
    decision = may_send(again, Purpose.MARKETING, Channel.EMAIL)
    assert not decision and decision.reason == "suppressed_hard_bounce"


def test_erasure_is_recorded_once_without_personal_data(philomene, admin_agent):
    erase_customer(customer=philomene, actor=admin_agent)

    entry = AuditEntry.objects.get(customer_id=philomene.pk, action=AuditEntry.Action.ERASED)
    assert (entry.actor, entry.actor_kind) == ("dominique", "agent")
    # The email, its acknowledgement, the reply and the internal note.
    assert entry.details["messages"] == 4 and entry.details["attachments"] == 1
    assert not any(value.lower() in str(entry.details).lower() for value in ERASED_VALUES)
    with pytest.raises(ErasureError):
        erase_customer(customer=philomene, actor=SYSTEM)


def test_the_erase_page_asks_for_the_name(admin_client, philomene):
    url = f"/customers/{philomene.pk}/erase/"
    assert admin_client.get(url).status_code == 200

    wrong = admin_client.post(url, {"confirmation": "Paul Durand"})
    assert wrong.status_code == 400
    assert Customer.objects.get(pk=philomene.pk).first_name == "Philomène"

    right = admin_client.post(url, {"confirmation": " philomène   zorglub "})
    assert right.status_code == 302
    assert Customer.objects.get(pk=philomene.pk).first_name == ""
    assert AuditEntry.objects.filter(action="erased", customer_id=philomene.pk).exists()


def test_erasure_of_a_customer_with_nothing_is_harmless(admin_agent):
    customer = Customer.objects.create()
    erase_customer(customer=customer, actor=admin_agent)
    assert AuditEntry.objects.filter(customer_id=customer.pk, action="erased").exists()
