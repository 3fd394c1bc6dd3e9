from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "comptoir.conversations"
    label = "conversations"
