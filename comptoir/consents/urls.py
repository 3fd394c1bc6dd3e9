from django.urls import path

from comptoir.consents import views

app_name = "consents"

urlpatterns = [
    path("u/<str:token>/", views.preferences, name="preferences"),
    path("u/<str:token>/one-click", views.one_click, name="one_click"),
]
