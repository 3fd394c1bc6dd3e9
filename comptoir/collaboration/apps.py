from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollaborationConfig(AppConfig):
    name = "comptoir.collaboration"
    verbose_name = _("Working together")
