from django.apps import AppConfig
from django.core import checks


class RegistriesConfig(AppConfig):
    name = "registries"
    verbose_name = "Panel Registry and geography"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        checks.register(holidays_known)


def holidays_known(app_configs=None, **kwargs):
    """ATTACH_HOLIDAYS names a jurisdiction the holidays library knows (at startup, not at
    the first discharge)."""
    import datetime

    from django.conf import settings

    from registries import holidays

    try:
        holidays.around(datetime.date.today())
    except (NotImplementedError, KeyError, ValueError) as error:
        return [checks.Error(f"ATTACH_HOLIDAYS={settings.ATTACH_HOLIDAYS!r} is not a country and subdivision the "
                             f"holidays library knows ({error}); e.g. CA-BC, CA-AB, CA, or empty for none.",
                             id="registries.E001")]
    return []
