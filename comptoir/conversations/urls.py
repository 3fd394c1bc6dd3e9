from django.urls import path

from comptoir.conversations import views

app_name = "conversations"

urlpatterns = [
    path("", views.inbox, name="inbox"),
]
