from django.apps import AppConfig


class GuideConfig(AppConfig):
    name = "guide"
    verbose_name = "Study guides"

    def ready(self):
        from guide import signals  # noqa: F401 - connects the receivers
