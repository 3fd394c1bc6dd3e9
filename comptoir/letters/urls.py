from django.urls import path

from comptoir.letters import views

app_name = "letters"

urlpatterns = [
    path("letters/", views.letter_list, name="list"),
    path("letters/<int:pk>/pdf/", views.letter_download, name="download"),
    path("letters/<int:pk>/printed/", views.letter_printed, name="printed"),
]
