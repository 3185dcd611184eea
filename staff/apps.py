from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    """What only staff use: the audit log, the admin's login with a second
    factor, TOTP enrolment, and the base classes of read-only admins."""

    name = "staff"
    verbose_name = _("Staff")
