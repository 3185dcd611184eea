"""The admin site: a password and a verified TOTP device for every page; its
home grouped by the campaigners' workflow."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django_otp import devices_for_user
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_otp.forms import OTPAuthenticationFormMixin
from django_otp.plugins.otp_static.models import StaticDevice
from django_stubs_ext import StrOrPromise

from staff import twofactor, views

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
            "letters.letteraction",
            "actions.target",
            "letters.recipient",
            "followups.followup",
            "timeline.delivery",
            "timeline.response",
            "timeline.outcome",
            "revisions.revision",
            "pages.page",
        ],
    ),
    (
        "signers",
        _("Signers"),
        [
            "actions.signature",
            "letters.letter",
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
            "otp_static.staticdevice",
            "axes.accessattempt",
            "axes.accessfailurelog",
            "axes.accesslog",
        ],
    ),
]
OTHER = ("other", _("Other"))


# One message for every way a login fails, so a guesser never learns that the
# password was right and only the code wrong.
LOGIN_FAILED = _(
    "Please enter the correct username, password and code for a staff "
    "account. Note that the username and password may be case-sensitive."
)


class LoginForm(OTPAdminAuthenticationForm):
    """Username, password and code on one form.

    The code is checked against the user's TOTP device, or, when it is not a
    6-digit number, against their backup codes (each works once). django-otp
    would ask the user to pick a device first; here the code's shape picks it,
    and a device posted by the client is ignored. A staff user with the right
    password and no confirmed device is sent to enrol one (``enrolling_user``;
    see CampaignAdminSite.login).
    """

    error_messages = {
        **OTPAdminAuthenticationForm.error_messages,
        "invalid_login": LOGIN_FAILED,
    }
    otp_error_messages = dict.fromkeys(
        OTPAuthenticationFormMixin.otp_error_messages, LOGIN_FAILED
    )
    enrolling_user: AbstractBaseUser | None = None

    def clean_otp(self, user: AbstractBaseUser | None) -> None:
        """Check the code; a missing or wrong one counts as a failed login.

        The lockout (django-axes) then covers guessing codes as well as
        passwords. Raises ValidationError when the code does not verify.
        """
        if user is None:
            return
        devices = list(devices_for_user(user, confirmed=True))
        if not devices:
            self.enrolling_user = user
            raise ValidationError(LOGIN_FAILED, code="enrol")
        code = twofactor.normalise_code(self.cleaned_data.get("otp_token") or "")
        self.cleaned_data["otp_token"] = code
        self.cleaned_data["otp_device"] = _device_for(devices, code).persistent_id
        try:
            super().clean_otp(user)
        except ValidationError:
            user_login_failed.send(
                sender=type(self),
                credentials={"username": user.get_username()},
                request=self.request,
            )
            raise ValidationError(LOGIN_FAILED, code="invalid_login") from None

    def _update_form(self, user: AbstractBaseUser) -> None:
        """Leave the form as a wrong password leaves it.

        django-otp lists the user's devices and writes the password back into
        the page once the password was right, which tells a guesser so.
        """


def _device_for(devices: list[Any], code: str) -> Any:
    """The TOTP device for a 6-digit code, the backup codes for anything else
    (each falls back to the other when the user lacks it)."""
    backup = [d for d in devices if isinstance(d, StaticDevice)]
    apps = [d for d in devices if not isinstance(d, StaticDevice)]
    wants_backup = not (code.isdigit() and len(code) == 6)
    preferred = backup if wants_backup else apps
    return (preferred or apps or backup)[0]


class CampaignAdminSite(OTPAdminSite):
    """The default admin site, open only to staff verified by an OTP device.

    A staff user who logged in without a second factor is treated as not staff:
    every admin page sends them to the login form, which asks for a TOTP code.
    """

    login_form = LoginForm
    login_template = "admin/staff/login.html"
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
        enrol = path(
            "enrol/",
            never_cache(lambda request: views.enrol(request, site=self)),
            name="enrol",
        )
        return [section, enrol, *super().get_urls()]

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The login form; a staff user with the right password and no device
        goes on to enrol one (staff.views.enrol)."""
        response = super().login(request, extra_context)
        context = getattr(response, "context_data", None) or {}
        user = getattr(context.get("form"), "enrolling_user", None)
        if request.method == "POST" and user is not None:
            twofactor.begin_self_enrolment(session=request.session, user=user)
            return HttpResponseRedirect(reverse("admin:enrol", current_app=self.name))
        return response

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
