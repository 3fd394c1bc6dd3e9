"""The customer's marketing pressure, for the 360 page (an include, not the customers view)."""

from django import template

from comptoir.consents import queries
from comptoir.customers.models import Customer

register = template.Library()


@register.simple_tag
def customer_pressure(customer: Customer) -> queries.PressureSummary:
    return queries.get_pressure_summary(customer)
