"""The French demo company "Maison Lumière", an online shop for home lighting.

Loaded by `comptoir load_demo` (and `comptoir serve --demo`). Inbound emails are built as raw
RFC 5322 bytes and go through the real inbound path; agent replies go through the real reply
service. Nothing is sent: the demo's deliveries are marked sent inside the loading
transaction, so the worker woken after commit finds nothing left to claim.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from comptoir.agents.models import Agent
from comptoir.campaigns import services as campaign_services
from comptoir.consents import services as consent_services
from comptoir.consents.models import Channel, ConsentStatus, Purpose, Source
from comptoir.answers.starter import load_demo_macros
from comptoir.conversations import services as conversations
from comptoir.conversations.models import Conversation, Message
from comptoir.customers import services as customers
from comptoir.customers.models import BusinessEvent, Customer, Segment
from comptoir.mail.inbound import process_inbound_email, receive_raw_email
from comptoir.mail.models import InboundEmail
from comptoir.messaging.models import Delivery, MessageTemplate
from comptoir.messaging.sending import Outbound, send_outbound
from comptoir.messaging.services import load_catalogue
from comptoir.routing.models import VIP_SEGMENT_NAME, RoutingRule
from comptoir.teams.models import Membership, Team

DEMO_SOURCE = "demo"
DEMO_PASSWORD = "demo"
CUSTOMER_COUNT = 320
CONVERSATIONS_PER_STATUS = 12
ORDERS = 40

AGENTS = [
    ("claire.moreau", "Claire", "Moreau", Agent.Role.ADMIN),
    ("julien.lefebvre", "Julien", "Lefebvre", Agent.Role.AGENT),
    ("nadia.benali", "Nadia", "Benali", Agent.Role.AGENT),
    ("thomas.girard", "Thomas", "Girard", Agent.Role.AGENT),
]
FIRST_NAMES = [
    "Jeanne", "Paul", "Élodie", "Marc", "Sophie", "Luc", "Camille", "Hugo", "Léa", "Nicolas",
    "Chloé", "Thomas", "Manon", "Julien", "Inès", "François", "Amélie", "Mathis", "Zoé", "Louis",
    "Océane", "Gabriel", "Margaux", "Yanis", "Anaïs", "Raphaël", "Clémence", "Théo", "Sarah",
    "Étienne", "Mélanie", "Bastien", "Aurélie", "Karim", "Nathalie", "Rémi", "Hélène", "Loïc",
]
LAST_NAMES = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "Fournier", "Girard", "Bonnet",
    "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Müller", "Faure", "André", "Mercier",
    "Blanc", "Guérin", "Boyer", "Garnier", "Chevalier", "François", "Legrand", "Gauthier",
]
ENGLISH_CUSTOMERS = [
    ("Emily", "Clarke"), ("James", "Whitfield"), ("Olivia", "Hughes"), ("George", "Bennett"),
]
DOMAINS = ["gmail.com", "orange.fr", "free.fr", "laposte.net", "hotmail.fr", "yahoo.fr", "sfr.fr"]
PRODUCTS = [
    "suspension en laiton « Atelier »", "lampadaire arc « Sola »", "applique murale « Lune »",
    "lampe de chevet en lin", "guirlande lumineuse d'extérieur", "plafonnier en rotin",
]

FRENCH_REQUESTS = [
    ("Commande {order} non reçue",
     "Bonjour,\n\nJ'ai passé la commande {order} le {day} et je ne l'ai toujours pas reçue.\n"
     "Le suivi indique « en cours d'acheminement » depuis une semaine. Pouvez-vous vérifier ?\n\n"
     "Merci d'avance,\n{name}"),
    ("Demande de remboursement – commande {order}",
     "Bonjour,\n\nJe souhaite être remboursé(e) de la {product} reçue avec la commande {order} "
     "({amount} €) : elle ne correspond pas à la description du site.\n\nCordialement,\n{name}"),
    ("Produit arrivé cassé",
     "Bonjour,\n\nMa {product} (commande {order}) est arrivée avec le verre brisé.\n"
     "Le carton était pourtant intact. Que dois-je faire ?\n\nBien à vous,\n{name}\n-- \n"
     "{name}\n{phone}"),
    ("Facture de la commande {order}",
     "Bonjour,\n\nPourriez-vous m'envoyer la facture de la commande {order} ? J'en ai besoin "
     "pour ma note de frais.\n\nMerci,\n{name}\n\nEnvoyé de mon iPhone"),
    ("Changement d'adresse de livraison",
     "Bonjour,\n\nJe viens de passer la commande {order} mais je me suis trompé(e) d'adresse.\n"
     "Pouvez-vous livrer au 14 rue des Lilas, 69003 Lyon à la place ?\n\nMerci beaucoup,\n{name}"),
    ("Réclamation : service très décevant",
     "Madame, Monsieur,\n\nC'est la deuxième fois que ma commande {order} est reportée sans "
     "explication. Je suis très déçu(e) et j'attends une réponse rapide.\n\n{name}"),
    ("Question avant achat",
     "Bonjour,\n\nLa {product} est-elle compatible avec une ampoule LED à variateur ?\n"
     "Et quel est le délai de livraison en Bretagne ?\n\nBonne journée,\n{name}"),
]
ENGLISH_REQUESTS = [
    ("Order {order} has not arrived",
     "Hello,\n\nI ordered the {product} ({order}) two weeks ago and it has not arrived in London "
     "yet. Could you check with the carrier?\n\nThanks,\n{name}"),
    ("Refund for order {order}",
     "Hi,\n\nI returned the {product} last week. When will I get my refund of {amount} EUR?\n\n"
     "Best regards,\n{name}"),
]
AGENT_REPLIES = [
    "Bonjour {first_name},\n\nMerci pour votre message. Je viens de vérifier votre commande "
    "auprès du transporteur : elle sera livrée sous 48 heures.\n\nBien cordialement,\n{agent}\n"
    "Maison Lumière",
    "Bonjour {first_name},\n\nJe suis désolé(e) pour ce désagrément. Je vous envoie une "
    "étiquette de retour gratuite ; le remboursement sera fait dès réception.\n\n"
    "Bien cordialement,\n{agent}\nMaison Lumière",
    "Bonjour {first_name},\n\nVous trouverez votre facture dans votre espace client, rubrique "
    "« Mes commandes ». N'hésitez pas si besoin.\n\nBien cordialement,\n{agent}\nMaison Lumière",
]
ENGLISH_AGENT_REPLY = (
    "Hello {first_name},\n\nThank you for your message. I have checked with the carrier and "
    "your parcel will be delivered within two days.\n\nKind regards,\n{agent}\nMaison Lumière"
)
CUSTOMER_FOLLOW_UPS = [
    "Merci pour votre réponse, mais je n'ai toujours rien reçu ce matin.",
    "Parfait, merci beaucoup pour votre aide !",
    "D'accord, je vous renvoie le produit demain.",
]
NOTES = [
    "Client fidèle (5 commandes cette année) : proposer un geste commercial.",
    "Transporteur relancé par téléphone, réponse attendue demain.",
    "Photo du colis demandée pour le dossier assurance.",
]


@dataclass
class DemoSummary:
    created: bool
    agents: list[str]
    customers: int
    conversations: dict[str, int]


def demo_is_loaded() -> bool:
    return InboundEmail.objects.filter(source=DEMO_SOURCE).exists()


def load_demo_company(*, seed: int = 2026) -> DemoSummary:
    """Load the demo company once; a second call changes nothing."""
    if demo_is_loaded():
        return summarise(created=False)
    rng = random.Random(seed)
    now = timezone.now()
    with transaction.atomic():
        agents = create_agents()
        load_demo_macros()
        people = create_customers(rng)
        create_routing(agents)
        statuses = [status for status in Conversation.Status.values
                    for _ in range(CONVERSATIONS_PER_STATUS)]
        for number, status in enumerate(statuses):
            person = people[(number * 7) % len(people)]
            build_conversation(rng, number, status, person, agents, now)
        # Nothing leaves the machine: see the module docstring.
        Delivery.objects.filter(status=Delivery.Status.QUEUED).filter(
            message__raw_email__isnull=True, message__conversation__messages__raw_email__source=DEMO_SOURCE
        ).update(status=Delivery.Status.SENT, sent_at=now)
        load_catalogue()  # the French message templates, ready to preview
        # The campaign first: its invitations went out days before these orders, and
        # marketing pressure is asked in that order.
        create_demo_campaign(now)
        send_order_confirmations(rng, people, now)
    return summarise(created=True)


def weekday_morning_before(moment: datetime) -> datetime:
    """10:30 on the last weekday up to `moment`: outside the default quiet hours and days."""
    local = timezone.localtime(moment).replace(hour=10, minute=30, second=0, microsecond=0)
    while local.weekday() >= 5:
        local -= timedelta(days=1)
    return local


def create_demo_campaign(now: datetime) -> None:
    """A live-session invitation already sent to the VIP segment, so the report has figures.

    Eight VIPs opted in to marketing email, two refused (refused by consent); the recorded
    deliveries are marked sent (nothing leaves, see the module docstring), three opened, one
    clicked, one left with the one-click link afterwards.
    """
    vip = Segment.objects.get(name=VIP_SEGMENT_NAME)
    members = list(vip.customers.order_by("pk"))
    sent_at = weekday_morning_before(now - timedelta(days=2))
    # Eight ticked the newsletter box of the sign-up form, two left it unticked.
    for number, customer in enumerate(members):
        consent_services.record_consent(
            customer=customer, purpose=Purpose.MARKETING, channel=Channel.EMAIL,
            status=ConsentStatus.GRANTED if number < 8 else ConsentStatus.REFUSED,
            proof=consent_services.Proof(source=Source.FORM, collected_at=now - timedelta(days=90)),
        )
    campaign, _ = campaign_services.create_campaign(
        name="Séance en direct : éclairer les fêtes", segment=vip, created_by=None,
        template=MessageTemplate.objects.get(slug="live-session-invitation"), topic="events",
        details={"session_on": "2026-12-10", "time": "18 h 30", "topic": "nos idées pour éclairer "
                 "les fêtes", "host": "notre décoratrice Claire"},
    )
    campaign_services.launch_campaign(campaign=campaign, at=sent_at)
    campaign_services.advance_campaign(campaign_id=campaign.pk, at=sent_at + timedelta(minutes=1))
    deliveries = Delivery.objects.filter(campaign=campaign)
    deliveries.filter(status=Delivery.Status.QUEUED).update(
        status=Delivery.Status.SENT, sent_at=sent_at
    )
    readers = list(
        deliveries.filter(status=Delivery.Status.SENT)
        .order_by("customer_id")
        .values_list("pk", flat=True)[:3]
    )
    Delivery.objects.filter(pk__in=readers).update(opened_at=sent_at + timedelta(hours=1))
    Delivery.objects.filter(pk__in=readers[:1]).update(clicked_at=sent_at + timedelta(hours=1))
    consent_services.withdraw_marketing(
        customer=members[7],
        proof=consent_services.Proof(source=Source.ONE_CLICK, collected_at=now - timedelta(days=1)),
    )


def summarise(*, created: bool) -> DemoSummary:
    demo = Conversation.objects.filter(messages__raw_email__source=DEMO_SOURCE).distinct()
    counts = {status: demo.filter(status=status).count() for status in Conversation.Status.values}
    return DemoSummary(
        created=created,
        agents=[username for username, *_ in AGENTS],
        customers=Customer.objects.count(),
        conversations=counts,
    )


def create_agents() -> list[Agent]:
    agents = []
    for username, first_name, last_name, role in AGENTS:
        agent = Agent.objects.filter(username=username).first()
        if agent is None:
            agent = Agent.objects.create_user(
                username=username, password=DEMO_PASSWORD, first_name=first_name,
                last_name=last_name, email=f"{username}@maison-lumiere.example", role=role,
            )
        agents.append(agent)
    return agents


def create_routing(agents: list[Agent]) -> None:
    """Two teams and three rules: experts take the hard cases, an outsourced level-1 team
    ("ines.prestataire", who sees only its conversations) the simple delivery questions."""
    experts = Team.objects.get_or_create(
        name="Experts", defaults={"assignment_mode": Team.AssignmentMode.LEAST_LOADED}
    )[0]
    for agent in agents[2:]:
        Membership.objects.get_or_create(team=experts, agent=agent)
    level_1 = Team.objects.get_or_create(
        name="Niveau 1 (prestataire)",
        defaults={"is_outsourced": True, "assignment_mode": Team.AssignmentMode.ROUND_ROBIN},
    )[0]
    contractor = Agent.objects.filter(username="ines.prestataire").first()
    if contractor is None:
        contractor = Agent.objects.create_user(
            username="ines.prestataire", password=DEMO_PASSWORD, first_name="Inès",
            last_name="Prestataire", email="ines@prestataire.example",
        )
    Membership.objects.get_or_create(team=level_1, agent=contractor)
    vip = Segment.objects.get_or_create(name=VIP_SEGMENT_NAME)[0]
    RoutingRule.objects.bulk_create([
        RoutingRule(name="Réclamations VIP", priority=10, category="complaint", vip_only=True,
                    team=experts),
        RoutingRule(name="Niveau expert", priority=20, level="expert", team=experts),
        RoutingRule(name="Livraisons simples", priority=30, category="order_delivery", level="1",
                    team=level_1),
    ])
    vip.customers.add(*Customer.objects.order_by("pk")[:10])


@dataclass
class Person:
    first_name: str
    last_name: str
    address: str
    phone: str
    english: bool

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def ascii_local_part(text: str) -> str:
    table = str.maketrans("éèêëàâäîïôöûüçÉ", "eeeeaaaiioouucE")
    return text.translate(table).lower().replace(" ", "")


def create_customers(rng: random.Random) -> list[Person]:
    people: list[Person] = []
    for number in range(CUSTOMER_COUNT):
        english = number % 40 == 3
        if english:
            first_name, last_name = ENGLISH_CUSTOMERS[number % len(ENGLISH_CUSTOMERS)]
        else:
            first_name, last_name = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        domain = "outlook.com" if english else rng.choice(DOMAINS)
        address = f"{ascii_local_part(first_name)}.{ascii_local_part(last_name)}{number}@{domain}"
        # Mobile numbers as French customers write them; 07 numbers start at 07 5.
        prefix = rng.choice([f"06 {rng.randint(10, 69)}", f"07 {rng.randint(50, 89)}"])
        phone = f"{prefix} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
        customer = customers.find_or_create_customer_by_email(
            address=address, name=f"{first_name} {last_name}"
        )
        if number % 3 == 0:
            customers.add_phone(customer=customer, number=phone)
        people.append(Person(first_name, last_name, address, phone, english))
    return people


def raw_email(
    *, person: Person, subject: str, body: str, when: datetime,
    in_reply_to: str = "", references: list[str] | None = None,
) -> tuple[bytes, str]:
    message = EmailMessage()
    message["From"] = f"{person.name} <{person.address}>"
    message["To"] = f"Maison Lumière <{settings.COMPTOIR_SUPPORT_ADDRESS}>"
    message["Subject"] = subject
    message["Date"] = format_datetime(when)
    message_id = make_msgid(domain=person.address.partition("@")[2])
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = f"<{in_reply_to}>"
        message["References"] = " ".join(f"<{m}>" for m in references or [in_reply_to])
    message.set_content(body)
    return message.as_bytes(), message_id.strip("<>")


def receive(raw: bytes) -> Message:
    received = receive_raw_email(raw, source=DEMO_SOURCE)
    message = process_inbound_email(received.inbound.pk, inbound=received.inbound)
    assert message is not None  # a fresh, well-formed email is always stored
    return message


def french_quote(message: Message, when: datetime) -> str:
    header = (f"Le {when:%d/%m/%Y à %H:%M}, {message.from_name} "
              f"<{message.from_address}> a écrit :")
    return header + "\n" + "\n".join(f"> {line}" for line in message.text.splitlines())


def build_conversation(
    rng: random.Random, number: int, status: str, person: Person, agents: list[Agent],
    now: datetime,
) -> None:
    # Recent conversations are still new; older ones have had time to move on.
    age_days = rng.uniform(0, 2) if status == Conversation.Status.NEW else rng.uniform(2, 60)
    started = now - timedelta(days=age_days)
    # Every few hours, but never in the future: a recent conversation's steps bunch up
    # in the last minutes instead (the minimum of two rising series still rises).
    steps = iter(
        min(
            started + timedelta(hours=3 * step + rng.uniform(0, 2)),
            now - timedelta(minutes=5 * (20 - step)),
        )
        for step in range(20)
    )
    requests = ENGLISH_REQUESTS if person.english else FRENCH_REQUESTS
    subject_template, body_template = requests[number % len(requests)]
    fields = {
        "order": f"ML-{rng.randint(100000, 999999)}", "name": person.name,
        "day": f"{started - timedelta(days=5):%d/%m}", "product": rng.choice(PRODUCTS),
        "amount": f"{rng.randint(25, 450)},{rng.randint(0, 99):02d}", "phone": person.phone,
    }
    raw, _ = raw_email(person=person, subject=subject_template.format(**fields),
                       body=body_template.format(**fields), when=next(steps))
    first = receive(raw)
    conversation = first.conversation
    agent = agents[number % len(agents)]
    if status != Conversation.Status.NEW:
        conversations.assign_conversation(conversation=conversation, assignee=agent)
    if number % 4 == 1:
        conversations.add_note(conversation=conversation, agent=agent, text=rng.choice(NOTES))
    if status in (Conversation.Status.WAITING, Conversation.Status.RESOLVED,
                  Conversation.Status.CLOSED):
        reply = agent_reply(rng, conversation, agent, person)
        if status != Conversation.Status.WAITING:
            when = next(steps)
            follow_up = rng.choice(CUSTOMER_FOLLOW_UPS) + f"\n\n{person.first_name}\n\n"
            raw, _ = raw_email(
                person=person, subject=f"Re: {reply.subject}", when=when,
                body=follow_up + french_quote(reply, when), in_reply_to=reply.message_id,
                references=[*reply.references, reply.message_id],
            )
            receive(raw)
            conversation.refresh_from_db()
            agent_reply(rng, conversation, agent, person)
            conversations.change_status(conversation=conversation, status=status)
    date_messages(conversation, steps)


def agent_reply(rng: random.Random, conversation: Conversation, agent: Agent,
                person: Person) -> Message:
    template = ENGLISH_AGENT_REPLY if person.english else rng.choice(AGENT_REPLIES)
    return conversations.reply_to_conversation(
        conversation=conversation, agent=agent,
        text=template.format(first_name=person.first_name, agent=agent.get_full_name()),
    )


def date_messages(conversation: Conversation, steps) -> None:  # type: ignore[no-untyped-def]
    """Spread the conversation over its own past, in the order things happened."""
    messages = list(conversation.messages.order_by("pk").values_list("pk", "direction"))
    moments = []
    when = None
    for pk, direction in messages:
        # The acknowledgement follows its email within seconds; everything else takes hours.
        if direction == Message.Direction.OUTBOUND and when is not None and len(moments) == 1:
            when = when + timedelta(seconds=20)
        else:
            when = next(steps)
        moments.append(when)
        Message.objects.filter(pk=pk).update(created_at=when)
    responses = [m for (pk, d), m in zip(messages, moments)
                 if d == Message.Direction.OUTBOUND][1:]
    Conversation.objects.filter(pk=conversation.pk).update(
        created_at=moments[0], last_message_at=moments[-1],
        first_response_at=responses[0] if responses else None,
    )


def send_order_confirmations(rng: random.Random, people: list[Person], now: datetime) -> None:
    """Orders from the shop, each confirmed through the sending path, and an invitation that
    consent refuses to prospects: the outbound log and the 360 pages show both."""
    confirmation = MessageTemplate.objects.get(slug="order-confirmation")
    invitation = MessageTemplate.objects.get(slug="live-session-invitation")
    for number, person in enumerate(people[:ORDERS]):
        customer = Customer.objects.get(identities__value=person.address)
        amount = Decimal(rng.randint(39, 890)) + Decimal("0.90")
        event = customers.record_business_event(
            customer=customer,
            kind=BusinessEvent.Kind.ORDER_PLACED,
            occurred_at=now - timedelta(days=rng.randint(1, 60)),
            source="shop",
            external_id=f"ML-{20260 + number}",
            title=f"Commande ML-{20260 + number} : {rng.choice(PRODUCTS)}",
            amount=amount,
            currency="EUR",
        ).event
        send_outbound(Outbound(template=confirmation, customer=customer, event=event))
    for person in people[ORDERS : ORDERS + 10]:
        customer = Customer.objects.get(identities__value=person.address)
        send_outbound(Outbound(template=invitation, customer=customer))
    Delivery.objects.filter(status=Delivery.Status.QUEUED, template__isnull=False).update(
        status=Delivery.Status.SENT, sent_at=now
    )
