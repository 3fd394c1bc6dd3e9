from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "comptoir.sla"
    verbose_name = "SLA"
