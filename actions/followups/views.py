"""Unsubscribing: the link in every follow-up and the preferences page.

The signed token in the URL is the credential, so these POSTs need no CSRF
cookie: mail clients send the one-click POST (RFC 8058) with no cookies, and
a forger without the token cannot name anyone.
"""

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from actions.followups import withdrawals
from actions.followups.forms import PreferencesForm
from actions.followups.models import Withdrawal
from actions.models import Signature

ONE_CLICK_BODY = "One-Click"


def _signature(token: str) -> Signature | None:
    try:
        return withdrawals.signature_from_unsubscribe_token(token)
    except (signing.BadSignature, Signature.DoesNotExist):
        return None


def _invalid(request: HttpRequest) -> HttpResponse:
    return render(request, "followups/unsubscribe_invalid.html", status=400)


@never_cache
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button and changes nothing (mail scanners open links)."""
    signature = _signature(token)
    if signature is None:
        return _invalid(request)
    context = {"petition": signature.petition, "token": token}
    if request.method == "GET":
        return render(request, "followups/unsubscribe.html", context)
    one_click = request.POST.get("List-Unsubscribe") == ONE_CLICK_BODY
    method = Withdrawal.Method.ONE_CLICK if one_click else Withdrawal.Method.LINK
    withdrawals.withdraw(signature=signature, everything=False, method=method)
    if one_click:
        # RFC 8058: no redirect in answer to the mail client's POST.
        return render(request, "followups/unsubscribed.html", context)
    return redirect("actions:email_preferences", token=token)


@never_cache
@csrf_exempt
@require_http_methods(["GET", "POST"])
def email_preferences(request: HttpRequest, token: str) -> HttpResponse:
    signature = _signature(token)
    if signature is None:
        return _invalid(request)
    form = PreferencesForm(request.POST or None)
    if form.is_valid():
        withdrawals.withdraw(
            signature=signature,
            everything=form.cleaned_data["everything"],
            method=Withdrawal.Method.PREFERENCES,
        )
        return redirect("actions:email_preferences", token=token)
    context = {
        "petition": signature.petition,
        "token": token,
        "form": form,
        "status": withdrawals.subscriptions(signature),
    }
    return render(
        request,
        "followups/email_preferences.html",
        context,
        status=400 if form.errors else 200,
    )
