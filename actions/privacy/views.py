"""The public "Your data" pages: ask for a link, see a copy, erase it.

The signed link in the email is the credential, so its POST needs no CSRF
cookie (same_origin_post judges the origin instead): no page here sets a
cookie. GET never changes anything; only the button's POST erases.
"""

from django.core import signing
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from actions.core.decorators import same_origin_post
from actions.models import Signature
from actions.privacy import services
from actions.privacy.forms import DataRequestForm
from campaign.clientip import client_ip


@same_origin_post
@require_http_methods(["GET", "POST"])
def your_data(request: HttpRequest) -> HttpResponse:
    """Ask for a link by email; the answer is the same whatever is held."""
    form = DataRequestForm(request.POST or None)
    if form.is_valid():
        services.request_data_link(
            email=form.cleaned_data["email"],
            client_ip=client_ip(request),
            language=request.LANGUAGE_CODE,
        )
        return redirect("actions:your_data_sent")
    status = 400 if form.errors else 200
    return render(request, "privacy/your_data.html", {"form": form}, status=status)


@require_safe
def your_data_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/your_data_sent.html")


@require_safe
def your_data_erased(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/your_data_erased.html")


@never_cache
@same_origin_post
@require_http_methods(["GET", "POST"])
def your_data_copy(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what is held and changes nothing; the POST erases it."""
    signature = _signature(token)
    if not isinstance(signature, Signature):
        return _invalid(request, expired=signature)
    if request.method == "POST":
        services.erase(signature=signature)
        return redirect("actions:your_data_erased")
    context = {"copy": services.data_copy(signature), "token": token}
    return render(request, "privacy/your_data_copy.html", context)


@never_cache
@require_safe
def your_data_json(request: HttpRequest, token: str) -> HttpResponse:
    signature = _signature(token)
    if not isinstance(signature, Signature):
        return _invalid(request, expired=signature)
    response = JsonResponse(
        services.data_copy(signature),
        encoder=DjangoJSONEncoder,
        json_dumps_params={"indent": 2, "ensure_ascii": False},
    )
    response["Content-Disposition"] = 'attachment; filename="your-data.json"'
    return response


def _signature(token: str) -> Signature | bool:
    """The link's signature, or whether the link failed for its age."""
    try:
        return services.signature_from_data_token(token)
    except signing.SignatureExpired:
        return True
    except (signing.BadSignature, Signature.DoesNotExist):
        return False


def _invalid(request: HttpRequest, *, expired: bool) -> HttpResponse:
    context = {"expired": expired, "form": DataRequestForm()}
    return render(request, "privacy/your_data_invalid.html", context, status=400)
