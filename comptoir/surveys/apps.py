from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "comptoir.surveys"
    verbose_name = _("Satisfaction surveys")

    def ready(self) -> None:
        # The customer timeline reads one source per app that has something to show; this
        # app adds its own, so the customer record needs no knowledge of surveys.
        from comptoir.customers.queries import TIMELINE_SOURCES
        from comptoir.surveys.timeline import survey_entries

        if survey_entries not in TIMELINE_SOURCES:
            TIMELINE_SOURCES.append(survey_entries)
