from django.apps import AppConfig


class ReplicasConfig(AppConfig):
    name = "apps.replicas"
