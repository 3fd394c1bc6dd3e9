import pytest

from comptoir.mail.checks import check_support_address_accepts_replies, is_no_reply_address


@pytest.mark.parametrize(
    "address",
    ["no-reply@shop.fr", "noreply@shop.fr", "ne-pas-repondre@shop.fr", "NePasRepondre@shop.fr",
     "do-not-reply@shop.fr", "donotreply@shop.fr", "no_reply@shop.fr"],
)
def test_no_reply_addresses_are_recognised(address):
    assert is_no_reply_address(address)


@pytest.mark.parametrize("address", ["support@shop.fr", "service-client@shop.fr", "reponses@shop.fr"])
def test_team_addresses_are_accepted(address):
    assert not is_no_reply_address(address)


def test_start_up_check_refuses_a_no_reply_team_address(settings):
    settings.COMPTOIR_SUPPORT_ADDRESS = "ne-pas-repondre@shop.fr"
    [error] = check_support_address_accepts_replies()
    assert error.id == "mail.E002"
    settings.COMPTOIR_SUPPORT_ADDRESS = "support@shop.fr"
    assert check_support_address_accepts_replies() == []
