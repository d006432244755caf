from django.apps import AppConfig


class SeminarConfig(AppConfig):
    name = "seminar"
    verbose_name = "Live sessions"
