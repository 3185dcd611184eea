"""Admin views for exports; the admin site wraps them (staff login required)."""

from django.conf import settings
from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from actions.exports import services
from actions.exports.forms import ExportForm
from actions.exports.models import SignatureExport
from actions.exports.writers import TooManyRows
from actions.models import Petition, Signature

CONTENT_TYPES: dict[str, str] = {
    SignatureExport.Format.CSV: "text/csv; charset=utf-8",
    SignatureExport.Format.XLSX: (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ),
}


@require_http_methods(["GET", "POST"])
def export_signatures(request: HttpRequest) -> HttpResponseBase:
    """The export form; its POST downloads the file or queues it."""
    if not services.may_export(request.user):
        raise PermissionDenied
    form = ExportForm(
        request.POST or None, initial=_initial(request.GET), user=request.user
    )
    if form.is_valid():
        try:
            export = services.start_export(
                user=request.user,
                filters=form.filters(),
                format=form.cleaned_data["format"],
                via=SignatureExport.Via.DOWNLOAD,
            )
        except TooManyRows as exc:
            form.add_error("format", _too_many_rows(exc))
        else:
            return _deliver(request, export)
    context = admin.site.each_context(request) | {
        "form": form,
        "opts": Signature._meta,
        "title": _("Export signatures"),
        "max_rows": settings.EXPORT_MAX_ROWS_PER_REQUEST,
    }
    return TemplateResponse(request, "admin/exports/export.html", context)


def _too_many_rows(exc: TooManyRows) -> str:
    return _(
        "%(rows)d signatures match: more than a spreadsheet holds. "
        "Choose CSV or narrow the filters."
    ) % {"rows": exc.args[0]}


def _initial(query: QueryDict) -> dict[str, object]:
    """The export form pre-filled from the signature list's filters."""
    initial: dict[str, object] = {}
    petition_id = query.get("petition__id__exact", "")
    if petition_id.isdigit():
        initial["petition"] = Petition.objects.filter(pk=petition_id).first()
    for lookup, field in [("state__exact", "state"), ("country__exact", "country")]:
        if lookup in query:
            initial[field] = query[lookup]
    consent = query.get("wants_updates__exact")
    if consent in {"0", "1"}:
        initial["consent"] = "yes" if consent == "1" else "no"
    return initial


def _deliver(request: HttpRequest, export: SignatureExport) -> HttpResponseBase:
    if export.via == SignatureExport.Via.BACKGROUND:
        messages.success(
            request,
            _(
                "The export is large, so it is being built in the background. "
                "Its download link appears here when it is ready."
            ),
        )
        return redirect("admin:exports_signatureexport_changelist")
    if export.format == SignatureExport.Format.CSV:
        response = StreamingHttpResponse(services.stream_csv(export))
    else:
        response = FileResponse(services.xlsx_file(export))
    return _attachment(response, export)


def _attachment(
    response: HttpResponseBase, export: SignatureExport
) -> HttpResponseBase:
    response["Content-Type"] = CONTENT_TYPES[export.format]
    response["Content-Disposition"] = content_disposition_header(
        True, services.download_name(export)
    )
    # Personal data: no copy in any cache on the way.
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
def download_export(request: HttpRequest, token: str) -> HttpResponseBase:
    """A file built in the background, for the user its link was made for."""
    try:
        export = services.export_for_download(token, user=request.user)
        file = export.file.open("rb")
    except signing.SignatureExpired:
        return _refused(request, _("This download link has expired."), 410)
    except signing.BadSignature:
        return _refused(request, _("This download link is not valid."), 400)
    except services.SensitivePetition:
        reason = _(
            "This file may hold signers of a sensitive petition: only a "
            "superuser can download it."
        )
        return _refused(request, reason, 403)
    except PermissionDenied:  # someone else's link or file, or no permission
        return _refused(request, _("Your account may not download this file."), 403)
    except (SignatureExport.DoesNotExist, FileNotFoundError):
        return _refused(request, _("This file is no longer available."), 404)
    assert request.user.is_authenticated  # export_for_download refuses others
    services.record_sensitive_views(export, user_id=request.user.pk, via="download")
    return _attachment(FileResponse(file), export)


def _refused(request: HttpRequest, reason: str, status: int) -> HttpResponse:
    context = admin.site.each_context(request) | {
        "title": _("Download not available"),
        "reason": reason
        + " "
        + _("The list of signature exports gives a fresh link while the file is kept."),
    }
    return TemplateResponse(
        request,
        "admin/exports/signatureexport/link_refused.html",
        context,
        status=status,
    )
