"""The compact customer record shown beside a conversation."""

from typing import Any

from django import template

from comptoir.consents import queries as consent_queries
from comptoir.consents.models import Channel
from comptoir.customers import completeness, queries
from comptoir.customers.models import Customer

register = template.Library()
PANEL_ENTRIES = 5


@register.inclusion_tag("customers/panel.html")
def customer_panel(customer: Customer) -> dict[str, Any]:
    return {
        "customer": customer,
        "timeline": queries.list_timeline(customer, page_size=PANEL_ENTRIES),
        "marketing": [
            (label, consent_queries.is_marketing_accepted(customer, value))
            for value, label in Channel.choices
            if value != Channel.ANY
        ],
        "missing": completeness.missing_fields(customer, completeness.list_required_fields()),
    }
