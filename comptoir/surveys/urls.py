from django.urls import path

from comptoir.surveys import views

app_name = "surveys"

urlpatterns = [
    path("satisfaction/<str:token>/", views.answer, name="answer"),
]
