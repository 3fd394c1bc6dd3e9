from django.urls import path

from comptoir.messaging import public_views, views

app_name = "messaging"

urlpatterns = [
    path("messages/templates/", views.template_list, name="templates"),
    path("messages/templates/new/", views.template_edit, name="template_new"),
    path("messages/templates/<int:pk>/", views.template_edit, name="template_edit"),
    path("messages/templates/<int:pk>/preview/", views.template_preview, name="template_preview"),
    path(
        "messages/templates/<int:pk>/test-send/",
        views.template_test_send,
        name="template_test_send",
    ),
    path(
        "messages/templates/<int:pk>/versions/<int:number>/restore/",
        views.version_restore,
        name="version_restore",
    ),
    path("messages/deliveries/", views.delivery_list, name="deliveries"),
    path("customers/<int:customer_pk>/send/", views.send_to_customer, name="send_to_customer"),
    # Public: reached from an email, the signed token is the key (messaging.tracking).
    path("t/c/<str:token>/", public_views.tracked_click, name="tracked_click"),
    path("t/o/<str:token>/", public_views.open_pixel, name="open_pixel"),
]
