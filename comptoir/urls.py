from django.contrib import admin
from django.urls import include, path

from comptoir.api import api
from comptoir.messaging.provider_webhooks import tracking_url_patterns

urlpatterns = [
    path("", include("comptoir.conversations.urls")),
    path("", include("comptoir.agents.urls")),
    path("", include("comptoir.consents.urls")),
    path("", include("comptoir.customers.urls")),
    path("", include("comptoir.privacy.urls")),
    path("", include("comptoir.sorting.urls")),
    path("", include("comptoir.surveys.urls")),
    path("", include("comptoir.answers.urls")),
    path("", include("comptoir.collaboration.urls")),
    path("", include("comptoir.escalations.urls")),
    path("", include("comptoir.messaging.urls")),
    path("", include("comptoir.campaigns.urls")),
    path("", include("comptoir.routing.urls")),
    path("", include("comptoir.insights.urls")),
    path("", include("comptoir.sms.urls")),
    path("", include("comptoir.letters.urls")),
    # Providers' bounce, complaint and delivery reports (django-anymail), when they send.
    path("webhooks/anymail/", include((tracking_url_patterns(), "anymail"))),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]
