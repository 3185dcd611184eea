"""The admin site: a password and a verified TOTP device for every page."""

from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite


class CampaignAdminSite(OTPAdminSite):
    """The default admin site, open only to staff verified by an OTP device.

    A staff user who logged in without a second factor is treated as not staff:
    every admin page sends them to the login form, which asks for a TOTP code.
    """

    site_header = _("Campaign administration")
    site_title = _("Campaign admin")

    def __init__(self, name: str = "admin"):
        super().__init__(name)
