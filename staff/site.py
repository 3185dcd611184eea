"""The admin site: a password and a verified TOTP device for every page."""

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite


class LoginForm(OTPAdminAuthenticationForm):
    """Username, password and code on one form.

    django-otp asks the user to pick a device before it checks a code; staff
    here have one device each (see staff.twofactor), so it is picked for
    them and the first submission can succeed. With several devices the
    choice is still asked for.
    """

    def clean_otp(self, user: AbstractBaseUser | None) -> None:
        """Check the code; a missing or wrong one counts as a failed login.

        The lockout (django-axes) then covers guessing codes as well as
        passwords. Raises ValidationError when the code does not verify.
        """
        if user is not None and not self.cleaned_data.get("otp_device"):
            devices = list(devices_for_user(user))
            if len(devices) == 1:
                self.cleaned_data["otp_device"] = devices[0].persistent_id
        try:
            super().clean_otp(user)
        except ValidationError:
            # django-otp accepts a missing user without raising.
            assert user is not None
            user_login_failed.send(
                sender=type(self),
                credentials={"username": user.get_username()},
                request=self.request,
            )
            raise


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
