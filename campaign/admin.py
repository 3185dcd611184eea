"""The admin site: a password and a verified TOTP device for every page."""

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite


class LoginForm(OTPAdminAuthenticationForm):
    """Username, password and code on one form.

    django-otp asks the user to pick a device before it checks a code; staff
    here have one device each (see campaign.twofactor), so it is picked for
    them and the first submission can succeed. With several devices the
    choice is still asked for.
    """

    def clean_otp(self, user: AbstractBaseUser | None) -> None:
        if user is not None and not self.cleaned_data.get("otp_device"):
            devices = list(devices_for_user(user))
            if len(devices) == 1:
                self.cleaned_data["otp_device"] = devices[0].persistent_id
        super().clean_otp(user)


class CampaignAdminSite(OTPAdminSite):
    """The default admin site, open only to staff verified by an OTP device.

    A staff user who logged in without a second factor is treated as not staff:
    every admin page sends them to the login form, which asks for a TOTP code.
    """

    login_form = LoginForm
    site_header = _("Campaign administration")
    site_title = _("Campaign admin")

    def __init__(self, name: str = "admin"):
        super().__init__(name)
