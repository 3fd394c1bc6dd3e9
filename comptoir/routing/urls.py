from django.urls import path

from comptoir.routing import views

app_name = "routing"

urlpatterns = [
    path("availability/", views.availability, name="availability"),
]
