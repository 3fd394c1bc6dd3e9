"""The French starter set of canned responses, loaded once by a data migration.

Written for a French online shop; a company edits them in the admin. Loading is idempotent
by title: a response already there (or edited) is left alone.
"""

from django.db.models import Model

SIGNATURE = "Bien cordialement,\n{{ conseiller }}\n{{ service }}"

STARTER_RESPONSES: list[tuple[str, str, str]] = [
    (
        "Retard de livraison",
        "order_delivery",
        "{{ salutation }}\n\n"
        "Nous sommes désolés du retard de livraison de votre commande. Nous avons contacté "
        "le transporteur : votre colis est en cours d'acheminement et devrait vous parvenir "
        "sous 3 à 5 jours ouvrés.\n"
        "Si vous ne l'avez pas reçu d'ici là, répondez simplement à ce message en rappelant "
        "la référence {{ reference }} : nous ouvrirons une enquête auprès du transporteur.\n\n"
        + SIGNATURE,
    ),
    (
        "Suivi et état de la commande",
        "order_delivery",
        "{{ salutation }}\n\n"
        "Vous pouvez suivre votre commande à tout moment depuis votre espace client, "
        "rubrique « Mes commandes » : le lien de suivi du transporteur y figure dès "
        "l'expédition. Une commande est en général expédiée sous 48 heures ouvrées.\n"
        "Pour toute question, répondez à ce message en rappelant la référence {{ reference }}.\n\n"
        + SIGNATURE,
    ),
    (
        "Retour et remboursement",
        "billing",
        "{{ salutation }}\n\n"
        "Vous disposez de 30 jours après réception pour nous retourner un article. Pour "
        "demander le retour, rendez-vous dans votre espace client, rubrique « Mes commandes », "
        "puis « Retourner un article » : une étiquette de retour prépayée vous sera envoyée.\n"
        "Le remboursement est effectué sur votre moyen de paiement d'origine sous 14 jours "
        "après réception de l'article dans notre entrepôt.\n\n"
        + SIGNATURE,
    ),
    (
        "Copie de facture",
        "billing",
        "{{ salutation }}\n\n"
        "Vous trouverez la facture de votre commande dans votre espace client, rubrique "
        "« Mes commandes », bouton « Télécharger la facture ». Si vous avez besoin d'une "
        "facture au nom de votre entreprise, indiquez-nous sa raison sociale et son adresse "
        "en réponse à ce message : nous vous l'enverrons.\n\n"
        + SIGNATURE,
    ),
    (
        "Réinitialisation du mot de passe",
        "technical_problem",
        "{{ salutation }}\n\n"
        "Pour réinitialiser votre mot de passe, cliquez sur « Mot de passe oublié » sur la "
        "page de connexion et saisissez votre adresse email : vous recevrez un lien valable "
        "une heure. Pensez à vérifier vos courriers indésirables.\n"
        "Si le lien ne vous parvient pas, répondez à ce message : nous vous aiderons.\n\n"
        + SIGNATURE,
    ),
    (
        "Produit arrivé endommagé",
        "complaint",
        "{{ salutation }}\n\n"
        "Nous sommes vraiment désolés que votre article soit arrivé abîmé. Pourriez-vous nous "
        "envoyer, en réponse à ce message, une photo de l'article et du colis ? Dès réception, "
        "nous vous proposerons un remplacement ou un remboursement, à votre choix.\n\n"
        + SIGNATURE,
    ),
    (
        "Changement d'adresse de livraison",
        "order_delivery",
        "{{ salutation }}\n\n"
        "Nous avons bien noté votre demande de changement d'adresse de livraison. Si votre "
        "commande n'est pas encore expédiée, nous la modifions dès aujourd'hui ; si elle est "
        "déjà partie, nous demandons au transporteur de la réacheminer.\n"
        "Nous revenons vers vous sous 24 heures.\n\n"
        + SIGNATURE,
    ),
    (
        "Horaires et coordonnées du magasin",
        "information_request",
        "{{ salutation }}\n\n"
        "Votre magasin {{ magasin }} ({{ magasin_ville }}) vous accueille aux horaires "
        "suivants :\n{{ magasin_horaires }}\n"
        "Vous pouvez aussi le joindre au {{ magasin_telephone }}.\n\n"
        + SIGNATURE,
    ),
]


def load_starter_set(model: type[Model]) -> int:
    """Create the starter responses missing by title; return how many were created.

    `model` is CannedResponse, or its historical version in a migration.
    """
    existing = set(model.objects.filter(team__isnull=True).values_list("title", flat=True))  # type: ignore[attr-defined]
    missing = [
        model(title=title, category=category, body=body)
        for title, category, body in STARTER_RESPONSES
        if title not in existing
    ]
    model.objects.bulk_create(missing)  # type: ignore[attr-defined]
    return len(missing)


def load_demo_macros() -> None:
    """Add a few macros and an inactive automatic-answer rule for the demo company."""
    from comptoir.answers.models import AutoAnswerRule, CannedResponse, Macro
    from comptoir.conversations.models import Conversation, Tag

    load_starter_set(CannedResponse)
    responses = {r.title: r for r in CannedResponse.objects.filter(team__isnull=True)}
    invoice, _ = Tag.objects.get_or_create(name="facture")
    damaged, _ = Tag.objects.get_or_create(name="casse")
    if not Macro.objects.exists():
        copy = Macro.objects.create(
            name="Facture : envoyer la copie",
            canned_response=responses.get("Copie de facture"),
            set_status=Conversation.Status.WAITING,
        )
        copy.tags_to_add.add(invoice)
        broken = Macro.objects.create(
            name="Casse : demander des photos",
            canned_response=responses.get("Produit arrivé endommagé"),
            note="Casse signalée : remplacement ou remboursement à proposer à réception des photos.",
        )
        broken.tags_to_add.add(damaged)
        Macro.objects.create(
            name="Clore : sans nouvelles du client",
            set_status=Conversation.Status.CLOSED,
            note="Clôturée par {{ conseiller }} : pas de réponse du client.",
        )
    if not AutoAnswerRule.objects.exists() and "Réinitialisation du mot de passe" in responses:
        # Inactive: an admin turns it on once the text suits the company.
        AutoAnswerRule.objects.create(
            name="Mot de passe oublié",
            is_active=False,
            keywords="mot de passe, mdp, identifiant",
            canned_response=responses["Réinitialisation du mot de passe"],
        )
