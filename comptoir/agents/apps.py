from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "comptoir.agents"
    label = "agents"
