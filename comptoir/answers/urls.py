from django.urls import path

from comptoir.answers import views

app_name = "answers"

urlpatterns = [
    path("canned-responses/", views.canned_responses, name="list"),
    path(
        "conversations/<int:pk>/canned-responses/<int:response_pk>/",
        views.rendered_response,
        name="rendered",
    ),
    path("conversations/<int:pk>/suggestions/", views.suggested_responses, name="suggestions"),
    path("conversations/<int:pk>/macros/<int:macro_pk>/", views.apply_macro, name="apply_macro"),
    path("conversations/<int:pk>/take-over/", views.take_over, name="take_over"),
]
