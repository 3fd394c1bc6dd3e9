from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SortingConfig(AppConfig):
    name = "comptoir.sorting"
    verbose_name = _("Sorting")
