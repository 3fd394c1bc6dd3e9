"""What an outsider (an agent of an outsourced level-1 team) may open, page by page.

Every URL name of the project has a decision here; tests/routing/test_outsider_access.py
walks the URL resolver and fails for a page without one. `OutsiderGateMiddleware` answers
403 to an outsider for every page not allowed here (a page added without a decision too).
"""

from enum import StrEnum

from comptoir.messaging.provider_webhooks import TRACKING_WEBHOOK_NAMES


class Access(StrEnum):
    # Pages anyone reaches, signed in or not: the login, and the customers' own pages,
    # which answer only to a signed token an outsider does not hold.
    PUBLIC = "public"
    # Agent pages that filter through conversations.queries.visible_conversations: an
    # outsider sees and works on the conversations routed to his teams; others are 404.
    OWN_CONVERSATIONS = "own_conversations"
    # The agent's own settings and inbox of notifications (availability, mentions).
    OWN_SETTINGS = "own_settings"
    # Shared tools that hold no customer data: the canned responses to answer with.
    TEAM_TOOLS = "team_tools"
    # Customer records, data protection, the admin, the API: 403.
    FORBIDDEN = "forbidden"


OUTSIDER_ACCESS: dict[str, Access] = {
    # The inbox, search, one conversation and what an agent does on it.
    "conversations:inbox": Access.OWN_CONVERSATIONS,
    "conversations:detail": Access.OWN_CONVERSATIONS,
    "conversations:reply": Access.OWN_CONVERSATIONS,
    "conversations:note": Access.OWN_CONVERSATIONS,
    "conversations:assign": Access.OWN_CONVERSATIONS,
    "conversations:status": Access.OWN_CONVERSATIONS,
    "conversations:log_contact": Access.OWN_CONVERSATIONS,
    "conversations:request_callback": Access.OWN_CONVERSATIONS,
    # Call-backs of his own conversations only; attachments of their messages only.
    "conversations:callbacks": Access.OWN_CONVERSATIONS,
    "conversations:complete_callback": Access.OWN_CONVERSATIONS,
    "conversations:attachment": Access.OWN_CONVERSATIONS,
    "conversations:check_reply": Access.OWN_CONVERSATIONS,
    # Ready answers on his own conversations; the list of canned responses holds no customer.
    "answers:list": Access.TEAM_TOOLS,
    "answers:rendered": Access.OWN_CONVERSATIONS,
    "answers:suggestions": Access.OWN_CONVERSATIONS,
    "answers:apply_macro": Access.OWN_CONVERSATIONS,
    "answers:take_over": Access.OWN_CONVERSATIONS,
    # Level 1 forwards to the experts and the internal services: his own conversations'
    # requests only (comptoir.escalations.queries filters through visible_conversations).
    "escalations:forward": Access.OWN_CONVERSATIONS,
    "escalations:list": Access.OWN_CONVERSATIONS,
    "escalations:answer": Access.OWN_CONVERSATIONS,
    "escalations:cancel": Access.OWN_CONVERSATIONS,
    "escalations:read": Access.OWN_CONVERSATIONS,
    # His mentions; a mention on a conversation he cannot see is never created.
    "collaboration:notifications": Access.OWN_SETTINGS,
    "collaboration:open_notification": Access.OWN_SETTINGS,
    "collaboration:mark_all_read": Access.OWN_SETTINGS,
    # Correcting a classification trains everyone's model: managers only.
    "sorting:correct": Access.FORBIDDEN,
    "routing:availability": Access.OWN_SETTINGS,
    "agents:login": Access.PUBLIC,
    "agents:logout": Access.PUBLIC,
    "set_language": Access.PUBLIC,
    # The customer record: the 360 page, the list, missing data, import.
    "customers:list": Access.FORBIDDEN,
    "customers:detail": Access.FORBIDDEN,
    "customers:completion_link": Access.FORBIDDEN,
    "customers:gaps": Access.FORBIDDEN,
    "customers:import": Access.FORBIDDEN,
    "customers:edit_profile": Access.FORBIDDEN,
    "customers:add_identity": Access.FORBIDDEN,
    "customers:remove_identity": Access.FORBIDDEN,
    "customers:complete_profile": Access.PUBLIC,
    "customers:sign_up": Access.PUBLIC,
    "customers:sign_up_done": Access.PUBLIC,
    "consents:preferences": Access.PUBLIC,
    "consents:one_click": Access.PUBLIC,
    "surveys:answer": Access.PUBLIC,
    # The service's figures and the quality review: managers (admins and team leads).
    "insights:dashboard": Access.FORBIDDEN,
    "insights:export": Access.FORBIDDEN,
    "insights:quality": Access.FORBIDDEN,
    "insights:review": Access.FORBIDDEN,
    # Message templates: the company's outbound messages, previewed on customers' records.
    "messaging:templates": Access.FORBIDDEN,
    "messaging:template_new": Access.FORBIDDEN,
    "messaging:template_edit": Access.FORBIDDEN,
    "messaging:template_preview": Access.FORBIDDEN,
    "messaging:template_test_send": Access.FORBIDDEN,
    "messaging:version_restore": Access.FORBIDDEN,
    "messaging:deliveries": Access.FORBIDDEN,
    "messaging:send_to_customer": Access.FORBIDDEN,
    # Letters to print carry customers' postal addresses and documents to sign: admins only.
    "letters:list": Access.FORBIDDEN,
    "letters:download": Access.FORBIDDEN,
    "letters:printed": Access.FORBIDDEN,
    # Twilio's webhooks: no session, they answer only to Twilio's signature.
    "sms:inbound": Access.PUBLIC,
    "sms:status": Access.PUBLIC,
    # Open pixel and click redirect of templated emails: the customer's, by signed token.
    "messaging:tracked_click": Access.PUBLIC,
    "messaging:open_pixel": Access.PUBLIC,
    # Campaigns reach whole segments and their reports show who got what: admins only.
    "campaigns:list": Access.FORBIDDEN,
    "campaigns:new": Access.FORBIDDEN,
    "campaigns:detail": Access.FORBIDDEN,
    "campaigns:preview": Access.FORBIDDEN,
    "campaigns:launch": Access.FORBIDDEN,
    "campaigns:pause": Access.FORBIDDEN,
    "campaigns:resume": Access.FORBIDDEN,
    "campaigns:cancel": Access.FORBIDDEN,
    "campaigns:export": Access.FORBIDDEN,
    # Data protection: export, erasure, duplicates, merges, the audit log.
    "privacy:export": Access.FORBIDDEN,
    "privacy:erase": Access.FORBIDDEN,
    "privacy:duplicates": Access.FORBIDDEN,
    "privacy:merge": Access.FORBIDDEN,
    "privacy:dismiss": Access.FORBIDDEN,
    "privacy:merges": Access.FORBIDDEN,
    "privacy:undo": Access.FORBIDDEN,
    "privacy:audit": Access.FORBIDDEN,
    # The JSON API serves programs holding a token (created on the command line); an agent's
    # session opens none of it, and an outsider's is refused outright.
    "api:api-root": Access.FORBIDDEN,
    "api:openapi-json": Access.FORBIDDEN,
    "api:openapi-view": Access.FORBIDDEN,
    "api:health": Access.FORBIDDEN,
    "api:send_message": Access.FORBIDDEN,
    "api:get_delivery": Access.FORBIDDEN,
    "api:list_customers": Access.FORBIDDEN,
    "api:create_customer": Access.FORBIDDEN,
    "api:get_customer": Access.FORBIDDEN,
    "api:update_customer": Access.FORBIDDEN,
    "api:add_identity": Access.FORBIDDEN,
    "api:remove_identity": Access.FORBIDDEN,
    "api:record_event": Access.FORBIDDEN,
    "api:list_events": Access.FORBIDDEN,
    "api:consent_history": Access.FORBIDDEN,
    "api:record_consent": Access.FORBIDDEN,
    "api:record_solicitation": Access.FORBIDDEN,
    "api:export": Access.FORBIDDEN,
    # Providers' webhooks (django-anymail): posted by a provider's servers with the webhook
    # secret, never with a session; they answer 404 while no secret is set.
    **{f"anymail:{name}": Access.PUBLIC for name in TRACKING_WEBHOOK_NAMES},
}
# Django's admin (every model, API tokens included) is for admins; an outsider never is one.
FORBIDDEN_NAMESPACES = frozenset({"admin"})
ALLOWED = frozenset(
    {Access.PUBLIC, Access.OWN_CONVERSATIONS, Access.OWN_SETTINGS, Access.TEAM_TOOLS}
)


def access_of(view_name: str) -> Access:
    """Return the outsider's access to a URL name ("namespace:name"); unknown is forbidden."""
    if view_name.partition(":")[0] in FORBIDDEN_NAMESPACES:
        return Access.FORBIDDEN
    return OUTSIDER_ACCESS.get(view_name, Access.FORBIDDEN)
