"""Generate the benchmark's messages: realistic French customer emails, new and replies."""

import random
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from datetime import datetime, timedelta, timezone

FIRST_NAMES = ["Jeanne", "Paul", "Élodie", "Marc", "Sophie", "Luc", "Camille", "Hugo", "Léa",
               "Nicolas", "Chloé", "Thomas", "Manon", "Julien", "Inès", "François"]
LAST_NAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
              "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "Fournier"]
DOMAINS = ["gmail.com", "orange.fr", "free.fr", "laposte.net", "hotmail.fr", "yahoo.fr", "sfr.fr"]
REQUESTS = [
    ("Commande {order} non reçue",
     "Bonjour,\n\nJ'ai passé la commande {order} le {day} et je ne l'ai toujours pas reçue.\n"
     "Le suivi indique « en cours d'acheminement » depuis une semaine. Pouvez-vous vérifier ?\n\n"
     "Merci d'avance,\n{name}"),
    ("Demande de remboursement commande {order}",
     "Bonjour,\n\nJe souhaite être remboursée de la lampe reçue avec la commande {order} "
     "({amount} €), elle ne correspond pas à la description.\n\nCordialement,\n{name}"),
    ("Produit arrivé cassé",
     "Bonjour,\n\nLe suspension en verre de ma commande {order} est arrivée brisée.\n"
     "Je joins une photo. Que dois-je faire ?\n\nBien à vous,\n{name}\n-- \n{name}\n06 12 34 56 78"),
    ("Facture pour la commande {order}",
     "Bonjour,\n\nPourriez-vous m'envoyer la facture de la commande {order} ? J'en ai besoin "
     "pour ma comptabilité.\n\nMerci,\n{name}\n\nEnvoyé de mon iPhone"),
]
REPLIES = [
    "Merci pour votre réponse rapide.\nC'est parfait pour moi.\n\n{name}",
    "Bonjour,\n\nToujours rien reçu malgré votre message. Pouvez-vous relancer le transporteur ?\n\n{name}",
    "D'accord, je vous renvoie le produit demain.\n\nCordialement,\n{name}",
]


def quoted(text: str, when: datetime) -> str:
    header = f"Le {when:%d/%m/%Y à %H:%M}, Service client <support@maison-lumiere.fr> a écrit :"
    return header + "\n" + "\n".join("> " + line for line in text.splitlines())


def generate(count: int, seed: int = 7) -> list[bytes]:
    """Return `count` raw emails: about 60 % new requests from ~2,000 customers, 40 % replies."""
    rng = random.Random(seed)
    customers = [
        (f"{first} {last}", f"{first.lower().replace('é', 'e')}.{last.lower().replace('è', 'e')}{n}@{rng.choice(DOMAINS)}")
        for n, (first, last) in enumerate(
            (rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)) for _ in range(2000)
        )
    ]
    start = datetime(2026, 10, 1, 8, 0, tzinfo=timezone.utc)
    sent: list[tuple[str, str, str, str]] = []  # (message_id, subject, name, address)
    raws: list[bytes] = []
    for number in range(count):
        when = start + timedelta(minutes=7 * number)
        message = EmailMessage()
        if sent and rng.random() < 0.4:
            parent_id, subject, name, address = rng.choice(sent)
            body = rng.choice(REPLIES).format(name=name.split()[0]) + "\n\n" + quoted(
                "Bonjour,\n\nNous revenons vers vous au sujet de votre demande.", when
            )
            message["Subject"] = f"Re: {subject}"
            message["In-Reply-To"] = f"<{parent_id}>"
            message["References"] = f"<{parent_id}>"
        else:
            name, address = rng.choice(customers)
            subject_template, body_template = rng.choice(REQUESTS)
            order = f"ML-{rng.randint(100000, 999999)}"
            fields = {"order": order, "name": name, "day": f"{when:%d/%m}",
                      "amount": f"{rng.randint(20, 400)},{rng.randint(0, 99):02d}"}
            subject = subject_template.format(**fields)
            body = body_template.format(**fields)
            message["Subject"] = subject
        message["From"] = f"{name} <{address}>"
        message["To"] = "Service client <support@maison-lumiere.fr>"
        message["Date"] = format_datetime(when)
        message_id = make_msgid(idstring=str(number), domain=address.split("@")[1])
        message["Message-ID"] = message_id
        message.set_content(body)
        if number % 10 == 0:
            message.add_alternative(
                "<html><body>" + "".join(f"<p>{line}</p>" for line in body.splitlines()) + "</body></html>",
                subtype="html",
            )
        if number % 50 == 0:
            message.add_attachment(bytes(rng.getrandbits(8) for _ in range(2048)),
                                   maintype="image", subtype="jpeg", filename="photo.jpg")
        sent.append((message_id.strip("<>"), message["Subject"], name, address))
        raws.append(message.as_bytes())
    return raws
