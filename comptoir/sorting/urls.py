from django.urls import path

from comptoir.sorting import views

app_name = "sorting"

urlpatterns = [
    path(
        "conversations/<int:pk>/classification/",
        views.correct_classification,
        name="correct",
    ),
]
