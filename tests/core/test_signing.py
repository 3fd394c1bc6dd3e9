"""Our Signer gives Django's tokens, byte for byte, so either verifies the other's."""

from django.core import signing

from comptoir.core.signing import Signer


def test_tokens_are_djangos_for_every_salt_and_value():
    for salt in ["comptoir.consents.link", "comptoir.messaging.tracking.click", "x"]:
        for value in ["1", "123456", "é", "a:b:c"]:
            assert Signer(salt=salt).sign(value) == signing.Signer(salt=salt).sign(value)
    ours = Signer(salt="s").sign_object([42, "https://www.shop.example/a?b=c"])
    assert signing.Signer(salt="s").unsign_object(ours) == [42, "https://www.shop.example/a?b=c"]


def test_a_new_secret_key_signs_anew_and_the_old_one_still_verifies(settings):
    before = Signer(salt="s").sign("7")
    settings.SECRET_KEY = "another secret key for this test, long enough to be one"
    after = Signer(salt="s").sign("7")
    assert after != before
    assert after == signing.Signer(salt="s").sign("7")
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a third secret key for this test, long enough as well"
    assert Signer(salt="s").unsign(after) == "7"


def test_an_altered_token_is_refused():
    token = Signer(salt="s").sign("7")
    try:
        Signer(salt="s").unsign(token[:-1] + ("A" if token[-1] != "A" else "B"))
    except signing.BadSignature:
        pass
    else:
        raise AssertionError("an altered token verified")
