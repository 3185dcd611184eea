"""Admin views for delivery packs; the admin site wraps them (staff login)."""

from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from actions.deliverypacks import services
from actions.deliverypacks.forms import DeliveryPackForm
from actions.deliverypacks.models import DeliveryPack


@require_http_methods(["GET", "POST"])
def request_pack(request: HttpRequest) -> HttpResponseBase:
    """The request form; its POST queues a pack and goes back to the list."""
    if not services.may_request(request.user):
        raise PermissionDenied
    form = DeliveryPackForm(request.POST or None, initial=request.GET.dict())
    if form.is_valid():
        services.request_pack(user=request.user, **form.cleaned_data)
        messages.success(
            request,
            _("The delivery pack is being built. Its link appears here when ready."),
        )
        return redirect("admin:deliverypacks_deliverypack_changelist")
    context = admin.site.each_context(request) | {
        "form": form,
        "opts": DeliveryPack._meta,
        "title": _("Request a delivery pack"),
    }
    return TemplateResponse(request, "admin/deliverypacks/request.html", context)


@require_safe
def download_pack(request: HttpRequest, token: str) -> HttpResponseBase:
    """A pack's PDF, for the user its link was made for."""
    try:
        pack = services.pack_for_download(token, user=request.user)
        file = pack.file.open("rb")
    except signing.SignatureExpired:
        return _refused(request, _("This download link has expired."), 410)
    except signing.BadSignature:
        return _refused(request, _("This download link is not valid."), 400)
    except services.SensitiveNames as refused:
        return _refused(request, str(refused), 403)
    except PermissionDenied:  # someone else's link or pack, or no permission
        return _refused(request, _("Your account may not download this file."), 403)
    except (DeliveryPack.DoesNotExist, FileNotFoundError):
        return _refused(request, _("This file is no longer available."), 404)
    response = FileResponse(file, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        True, services.download_name(pack)
    )
    response["Cache-Control"] = "private, no-store"  # personal data
    return response


def _refused(request: HttpRequest, reason: str, status: int) -> HttpResponse:
    context = admin.site.each_context(request) | {
        "title": _("Download not available"),
        "reason": reason,
    }
    return TemplateResponse(
        request, "admin/deliverypacks/link_refused.html", context, status=status
    )
