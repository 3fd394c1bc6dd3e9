from django.urls import path

from comptoir.insights import views

app_name = "insights"

urlpatterns = [
    path("insights/", views.dashboard, name="dashboard"),
    path("insights/kpis.csv", views.export_kpis, name="export"),
    path("insights/quality/", views.quality_sample, name="quality"),
    path("insights/quality/<int:pk>/", views.review_conversation, name="review"),
]
