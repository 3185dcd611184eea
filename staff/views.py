"""Enrolling one's own second factor at first login (see staff.twofactor)."""

from functools import partial

from django.contrib.admin import AdminSite
from django.contrib.auth import login
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp.middleware import is_verified

from staff import twofactor
from staff.forms import EnrolmentForm

PASSWORD_BACKEND = "django.contrib.auth.backends.ModelBackend"


def enrol(request: HttpRequest, *, site: AdminSite) -> HttpResponse:
    """Show the new key; on a right code, confirm it, log in, show backup codes.

    Opens only in the session that just proved the password of a staff user
    without a device, for a few minutes (twofactor.pending_enrolment);
    anyone else is sent to the login form.
    """
    enrolment = twofactor.pending_enrolment(request.session)
    if enrolment is None:
        return HttpResponseRedirect(reverse("admin:login", current_app=site.name))
    form = EnrolmentForm(request.POST if request.method == "POST" else None)
    context = site.each_context(request) | {
        "title": _("Set up your second factor"),
        "form": form,
        "otpauth_uri": enrolment.device.config_url,
        "qr_code": twofactor.qr_code_data_uri(enrolment.device),
        "manual_key": twofactor.manual_key(enrolment.device, grouped=True),
    }
    request.current_app = site.name
    if form.is_valid():
        codes = twofactor.confirm_self_enrolment(
            enrolment=enrolment, code=form.cleaned_data["code"]
        )
        if codes is not None:
            twofactor.end_self_enrolment(request.session)
            user = enrolment.user
            # As the OTP login form leaves a user: django-otp keeps the device
            # in the session on login, and the page below asks is_verified().
            user.otp_device = enrolment.device  # type: ignore[attr-defined]
            user.is_verified = partial(is_verified, user)  # type: ignore[attr-defined]
            login(request, user, backend=PASSWORD_BACKEND)
            response = TemplateResponse(
                request,
                "admin/staff/backup_codes.html",
                site.each_context(request)
                | {"title": _("Your backup codes"), "codes": codes},
            )
            response["Cache-Control"] = "private, no-store"
            return response
        twofactor.count_enrolment_failure(request.session)
        # Guessing codes here counts towards the login lockout too.
        user_login_failed.send(
            sender=enrol,
            credentials={"username": enrolment.user.get_username()},
            request=request,
        )
        form.add_error("code", _("That code did not match. Try the current one."))
    response = TemplateResponse(request, "admin/staff/enrol.html", context)
    response["Cache-Control"] = "private, no-store"
    return response
