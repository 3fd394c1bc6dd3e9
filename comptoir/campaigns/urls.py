from django.urls import path

from comptoir.campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("messages/campaigns/", views.campaign_list, name="list"),
    path("messages/campaigns/new/", views.campaign_new, name="new"),
    path("messages/campaigns/<int:pk>/", views.campaign_detail, name="detail"),
    path("messages/campaigns/<int:pk>/preview/", views.campaign_preview, name="preview"),
    path("messages/campaigns/<int:pk>/launch/", views.campaign_launch, name="launch"),
    path("messages/campaigns/<int:pk>/pause/", views.campaign_pause, name="pause"),
    path("messages/campaigns/<int:pk>/resume/", views.campaign_resume, name="resume"),
    path("messages/campaigns/<int:pk>/cancel/", views.campaign_cancel, name="cancel"),
    path("messages/campaigns/<int:pk>/deliveries.csv", views.campaign_export, name="export"),
]
