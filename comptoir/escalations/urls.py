from django.urls import path

from comptoir.escalations import views

app_name = "escalations"

urlpatterns = [
    path("conversations/<int:pk>/forward/", views.forward, name="forward"),
    path("forwards/", views.forward_list, name="list"),
    path("forwards/<int:pk>/answer/", views.answer, name="answer"),
    path("forwards/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("forwards/<int:pk>/read/", views.mark_read, name="read"),
]
