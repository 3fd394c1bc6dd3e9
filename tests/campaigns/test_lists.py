"""An uploaded list is read into customers; a line naming nobody is reported, not lost."""

from io import BytesIO

import pytest

from comptoir.campaigns import services
from comptoir.campaigns.lists import resolve_list
from tests.campaigns.conftest import make_customer

pytestmark = pytest.mark.django_db


def test_given_emails_and_customer_numbers_then_each_line_finds_its_customer_once(customers):
    upload = (
        "email;prénom\n"
        "Client1@Example.fr;Jeanne\n"
        f"#{customers[1].pk};Paul\n"
        f"{customers[2].pk}\n"
        "client1@example.fr;encore\n"
        "\n"
        "inconnu@example.fr;Vera\n"
        "pas-une-adresse@\n"
        "#999999\n"
        "Jean Dupont\n"
    ).encode("cp1252")

    resolved = resolve_list(BytesIO(upload))

    assert resolved.customer_ids == [customers[0].pk, customers[1].pk, customers[2].pk]
    assert resolved.repeated == 1
    assert resolved.unknown == [
        "inconnu@example.fr",
        "pas-une-adresse@",
        "#999999",
        "Jean Dupont",
    ]


def test_given_an_uploaded_list_when_the_campaign_is_created_then_its_recipients_are_fixed(
    invitation,
):
    known = [make_customer(number) for number in (7, 3, 5)]
    upload = BytesIO(b"client7@example.fr\nclient3@example.fr\nclient5@example.fr\nnobody@x.fr\n")

    campaign, resolved = services.create_campaign(
        name="Invitation VIP",
        template=invitation,
        recipient_list=upload,
        list_name="vip.csv",
        created_by=None,
    )

    assert sorted(campaign.recipients.values_list("customer_id", flat=True)) == sorted(
        customer.pk for customer in known
    )
    assert campaign.unknown_entries == ["nobody@x.fr"]
    assert campaign.list_name == "vip.csv" and campaign.is_list
    assert resolved is not None and resolved.unknown == ["nobody@x.fr"]


def test_a_campaign_goes_to_a_segment_or_a_list_never_both(invitation, segment):
    with pytest.raises(ValueError):
        services.create_campaign(
            name="Les deux",
            template=invitation,
            segment=segment,
            recipient_list=BytesIO(b"a@b.fr"),
            created_by=None,
        )
