from django.urls import path

from comptoir.sms import views

app_name = "sms"

urlpatterns = [
    path("sms/twilio/inbound/", views.inbound_sms, name="inbound"),
    path("sms/twilio/status/", views.status_callback, name="status"),
]
