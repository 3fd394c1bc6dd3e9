from django.urls import path

from comptoir.customers import views

app_name = "customers"

urlpatterns = [
    path("customers/", views.customer_list, name="list"),
    path("customers/<int:pk>/", views.customer_detail, name="detail"),
    path("customers/<int:pk>/profile/", views.edit_profile, name="edit_profile"),
    path("customers/<int:pk>/identities/", views.add_identity, name="add_identity"),
    path(
        "customers/<int:pk>/identities/<int:identity_pk>/remove/",
        views.remove_identity,
        name="remove_identity",
    ),
    path("customers/<int:pk>/completion-link/", views.completion_link, name="completion_link"),
    path("customers/missing-data/", views.customers_with_gaps, name="gaps"),
    path("customers/import/", views.import_page, name="import"),
    path("p/<str:token>/", views.complete_profile, name="complete_profile"),
    path("inscription/", views.sign_up, name="sign_up"),
    path("inscription/merci/", views.sign_up_done, name="sign_up_done"),
]
