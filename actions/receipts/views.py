"""The public receipt pages: the published roots and their feed, a signer's
receipt, and checking a receipt. No page needs JavaScript or sets a cookie."""

import json

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control, cache_page, never_cache
from django.views.decorators.http import require_http_methods, require_safe

from actions.core.decorators import same_origin_post
from actions.receipts import checking, services
from actions.receipts.forms import ReceiptCheckForm
from actions.receipts.models import DailyRoot

ROOTS_PER_PAGE = 30


@require_safe
@cache_control(public=True)
@cache_page(settings.PAGE_CACHE_SECONDS, cache="pages")
def receipt_roots(request: HttpRequest) -> HttpResponse:
    """The published daily roots, newest first."""
    roots = DailyRoot.objects.defer("chunk_roots")
    page = Paginator(roots, ROOTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "receipts/roots.html", {"page_obj": page})


@never_cache
@require_safe
def receipt(request: HttpRequest, token: str) -> HttpResponse:
    """A signer's receipt, or when it will be ready; the link is the key."""
    status = services.receipt_from_token(token)
    if status is None:
        return render(request, "receipts/receipt_invalid.html", status=404)
    context = {"status": status, "token": token}
    if status.receipt is not None:
        context["receipt_json"] = json.dumps(status.receipt, indent=2)
    return render(request, "receipts/receipt.html", context)


@never_cache
@require_safe
def receipt_download(request: HttpRequest, token: str) -> JsonResponse:
    """The receipt as a JSON file to keep."""
    status = services.receipt_from_token(token)
    if status is None or status.receipt is None:
        raise Http404
    response = JsonResponse(status.receipt, json_dumps_params={"indent": 2})
    filename = f"signature-receipt-{status.receipt['day']}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@same_origin_post
@require_http_methods(["GET", "POST"])
def receipt_check(request: HttpRequest) -> HttpResponse:
    """Check a pasted or uploaded receipt against the published roots.
    Reads only, so the form needs no CSRF cookie (same_origin_post)."""
    is_post = request.method == "POST"
    form = ReceiptCheckForm(
        request.POST if is_post else None, request.FILES if is_post else None
    )
    verdict = None
    if form.is_valid():
        verdict = checking.check_receipt(form.cleaned_data["receipt"])
    status = 400 if form.errors else 200
    context = {"form": form, "verdict": verdict}
    return render(request, "receipts/check.html", context, status=status)
