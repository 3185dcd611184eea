"""The admin site: a password and a verified TOTP device for every page; its
home grouped by the campaigners' workflow."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import Http404, HttpRequest
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_stubs_ext import StrOrPromise

# The admin home in the order campaigners work: what they publish, who signed,
# what was reported, then staff accounts and the machinery. Models are named
# "app_label.model_name" (staff imports no campaign code), each in one section,
# in the order shown. A model missing here still shows, under "Other"; a test
# asks that every registered model be placed.
SECTIONS: list[tuple[str, StrOrPromise, list[str]]] = [
    (
        "content",
        _("Content"),
        [
            "statements.statement",
            "statements.topic",
            "actions.petition",
            "actions.target",
            "followups.followup",
            "timeline.delivery",
            "timeline.response",
            "timeline.outcome",
            "revisions.revision",
        ],
    ),
    (
        "signers",
        _("Signers"),
        [
            "actions.signature",
            "consent.consentrecord",
            "consent.consentwording",
            "followups.withdrawal",
            "suppressions.suppression",
            "abuse.signatureflag",
            "abuse.blocklistentry",
            "privacy.erasure",
            "receipts.dailyroot",
        ],
    ),
    (
        "reports",
        _("Reports"),
        ["exports.signatureexport", "deliverypacks.deliverypack", "admin.logentry"],
    ),
    ("accounts", _("Staff accounts"), ["auth.user", "auth.group"]),
    (
        "technical",
        _("Technical"),
        [
            "outbox.outboundemail",
            "followups.followupdelivery",
            "otp_totp.totpdevice",
            "axes.accessattempt",
            "axes.accessfailurelog",
            "axes.accesslog",
        ],
    ),
]
OTHER = ("other", _("Other"))


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

    def get_urls(self) -> list[URLResolver | URLPattern]:
        section = path(
            "section/<slug:section>/",
            self.admin_view(self.section_index),
            name="section",
        )
        return [section, *super().get_urls()]

    def get_app_list(
        self, request: HttpRequest, app_label: str | None = None
    ) -> list[dict[str, Any]]:
        """The home's sections (see SECTIONS); one app's models on its page.

        Which models a user sees is Django's decision, unchanged: a section
        only regroups them.
        """
        if app_label is not None:
            return super().get_app_list(request, app_label)
        models = {
            _key(model["model"]): model
            for app in self._build_app_dict(request).values()
            for model in app["models"]
        }
        sections = [
            self._section(key, name, [models.pop(m) for m in names if m in models])
            for key, name, names in SECTIONS
        ]
        rest = sorted(models.values(), key=lambda model: model["name"])
        sections.append(self._section(*OTHER, rest))
        return [section for section in sections if section["models"]]

    def section_index(self, request: HttpRequest, section: str) -> TemplateResponse:
        """One section of the home on a page, as Django shows one app's."""
        found = [s for s in self.get_app_list(request) if s["app_label"] == section]
        if not found:
            raise Http404
        context = self.each_context(request) | {
            "title": found[0]["name"],
            "subtitle": None,
            "app_list": found,
        }
        request.current_app = self.name
        return TemplateResponse(request, "admin/app_index.html", context)

    def _section(
        self, key: str, name: StrOrPromise, models: list[dict[str, Any]]
    ) -> dict[str, Any]:
        # Shaped as Django's app entries, so its templates show sections.
        url = reverse("admin:section", kwargs={"section": key}, current_app=self.name)
        return {
            "name": name,
            "app_label": key,
            "app_url": url,
            "has_module_perms": True,
            "models": models,
        }


def _key(model: type[Model]) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"
