from django.urls import path

from comptoir.conversations import views

app_name = "conversations"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("conversations/<int:pk>/", views.conversation_detail, name="detail"),
    path("conversations/<int:pk>/reply/", views.reply, name="reply"),
    path("conversations/<int:pk>/reply/check/", views.check_reply, name="check_reply"),
    path("conversations/<int:pk>/note/", views.add_note, name="note"),
    path("conversations/<int:pk>/assign/", views.assign, name="assign"),
    path("conversations/<int:pk>/status/", views.change_status, name="status"),
    path("conversations/<int:pk>/contact/", views.log_contact, name="log_contact"),
    path("conversations/<int:pk>/callback/", views.request_callback, name="request_callback"),
    path("callbacks/", views.callbacks, name="callbacks"),
    path("callbacks/<int:pk>/done/", views.complete_callback, name="complete_callback"),
    path("attachments/<int:pk>/", views.download_attachment, name="attachment"),
]
