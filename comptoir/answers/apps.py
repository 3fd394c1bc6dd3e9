from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnswersConfig(AppConfig):
    name = "comptoir.answers"
    verbose_name = _("Ready answers")
