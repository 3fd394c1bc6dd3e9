"""The information notices shown where consent is collected, and their built-in first version.

A record points to the exact version the customer saw. Wording changes are new versions added
in the admin, never edits; version "1" below is written to the database the first time it is
needed, so a fresh installation has a notice to point to.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from comptoir.consents.models import NoticeVersion

PREFERENCE_CENTRE = "preference-centre"
SIGN_UP = "sign-up"

BUILT_IN = {
    (PREFERENCE_CENTRE, "fr"): (
        "Vos choix s'appliquent aux messages commerciaux (offres, actualités, invitations) que "
        "nous vous envoyons par e-mail ou par SMS. Vous pouvez les modifier ou vous désabonner à "
        "tout moment depuis cette page, ou par le lien de désabonnement présent dans chacun de "
        "ces messages.\n\n"
        "Les messages liés à vos commandes, à votre contrat et à vos demandes au service client "
        "ne sont pas concernés : ils vous sont toujours envoyés.\n\n"
        "Nous enregistrons chacun de vos choix avec sa date, la version de ce texte, l'adresse IP "
        "et le navigateur utilisés, pour pouvoir en apporter la preuve. Vous pouvez accéder à vos "
        "données, les faire rectifier ou effacer en écrivant à notre service client."
    ),
    (PREFERENCE_CENTRE, "en"): (
        "Your choices apply to the marketing messages (offers, news, invitations) we send you by "
        "email or SMS. You can change them or unsubscribe at any time from this page, or with the "
        "unsubscribe link in each of these messages.\n\n"
        "Messages about your orders, your contract and your requests to customer service are not "
        "affected: they are always sent.\n\n"
        "We record each of your choices with its date, the version of this text, the IP address "
        "and the browser used, so that we can prove it. You can access your data, have it "
        "corrected or erased by writing to our customer service."
    ),
    (SIGN_UP, "fr"): (
        "En cochant cette case, vous acceptez de recevoir nos offres et actualités par e-mail. "
        "Ce choix est facultatif et vous pouvez le retirer à tout moment par le lien de "
        "désabonnement présent dans chaque message. Nous enregistrons votre choix avec sa date, "
        "la version de ce texte, l'adresse IP et le navigateur utilisés, pour pouvoir en "
        "apporter la preuve. Vous pouvez accéder à vos données, les faire rectifier ou effacer "
        "en écrivant à notre service client."
    ),
    (SIGN_UP, "en"): (
        "By ticking this box, you agree to receive our offers and news by email. This choice is "
        "optional and you can withdraw it at any time with the unsubscribe link in each message. "
        "We record your choice with its date, the version of this text, the IP address and the "
        "browser used, so that we can prove it. You can access your data, have it corrected or "
        "erased by writing to our customer service."
    ),
}


def current_notice(name: str, language: str) -> NoticeVersion | None:
    """Return the latest published version of a notice in a language, else in French."""
    published = NoticeVersion.objects.filter(name=name, published_at__lte=timezone.now())
    for candidate in (language, "fr"):
        notice = published.filter(language=candidate).order_by("-published_at", "-pk").first()
        if notice:
            return notice
        if (name, candidate) in BUILT_IN:
            return built_in_notice(name, candidate)
    return published.order_by("-published_at", "-pk").first()


def built_in_notice(name: str, language: str) -> NoticeVersion:
    try:
        with transaction.atomic():
            notice, _ = NoticeVersion.objects.get_or_create(
                name=name,
                version="1",
                language=language,
                defaults={"text": BUILT_IN[(name, language)]},
            )
    except IntegrityError:  # Written by a concurrent request.
        notice = NoticeVersion.objects.get(name=name, version="1", language=language)
    return notice
