"""URLs for the django-helpdesk peer: its notification emails reverse the helpdesk namespace."""

from django.urls import include, path

urlpatterns = [path("helpdesk/", include("helpdesk.urls", namespace="helpdesk"))]
