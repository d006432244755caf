from django.apps import AppConfig


class SeminarConfig(AppConfig):
    name = "seminar"
    verbose_name = "Live sessions"

    def ready(self):
        from seminar import accounts

        accounts.connect()
