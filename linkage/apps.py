from django.apps import AppConfig


class LinkageConfig(AppConfig):
    name = "linkage"
    verbose_name = "Local waitlists and record linkage"
