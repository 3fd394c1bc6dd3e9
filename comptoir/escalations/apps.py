from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EscalationsConfig(AppConfig):
    name = "comptoir.escalations"
    verbose_name = _("Forwards to internal services")
