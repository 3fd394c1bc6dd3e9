from django.urls import path

from comptoir.privacy import views

app_name = "privacy"

urlpatterns = [
    path("customers/<int:pk>/export/", views.export_download, name="export"),
    path("customers/<int:pk>/erase/", views.erase, name="erase"),
    path("privacy/duplicates/", views.duplicates, name="duplicates"),
    path("privacy/duplicates/merge/", views.merge, name="merge"),
    path("privacy/duplicates/dismiss/", views.dismiss, name="dismiss"),
    path("privacy/merges/", views.merges, name="merges"),
    path("privacy/merges/<int:pk>/undo/", views.undo, name="undo"),
    path("privacy/audit/", views.audit, name="audit"),
]
