from django.urls import path

from comptoir.collaboration import views

app_name = "collaboration"

urlpatterns = [
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/<int:pk>/", views.open_notification, name="open_notification"),
    path("notifications/read/", views.mark_all_read, name="mark_all_read"),
]
