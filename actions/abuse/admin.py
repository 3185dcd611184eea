"""The abuse controls in the admin: a petition's limits (an inline of the
petition), the block list, the hourly flags and invalidation by filter.

Campaigners use all of it, and see counts, email domains and client hashes,
never a signer's name or address.
"""

from dataclasses import replace
from datetime import datetime, timedelta

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from actions.abuse import blocklist, services
from actions.abuse.forms import AbuseSettingsForm, BlockListEntryForm, InvalidateForm
from actions.abuse.models import AbuseSettings, BlockListEntry, SignatureFlag
from actions.models import Signature
from staff import audit
from staff.admin_base import ReadOnlyAdmin

INVALIDATE_PERMISSION = "actions.invalidate_signature"
LOCAL_MINUTE = "%Y-%m-%dT%H:%M"
CRITERIA = {"email_domain", "client_hash", "signed_from", "signed_to", "state"}


class AbuseSettingsInline(admin.StackedInline):
    model = AbuseSettings
    form = AbuseSettingsForm
    can_delete = False
    max_num = 1
    verbose_name = verbose_name_plural = _("abuse controls")


@admin.register(BlockListEntry)
class BlockListEntryAdmin(admin.ModelAdmin):
    form = BlockListEntryForm
    list_display = ["value", "kind", "note", "created_by", "created_at"]
    list_filter = ["kind"]
    search_fields = ["value", "note"]
    readonly_fields = ["created_by", "created_at"]
    ordering = ["-created_at"]

    def save_model(
        self, request: HttpRequest, obj: BlockListEntry, form: Form, change: bool
    ) -> None:
        if not change:
            assert request.user.is_authenticated  # the admin lets in staff only
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        blocklist.forget()  # other processes follow within seconds

    def delete_model(self, request: HttpRequest, obj: BlockListEntry) -> None:
        super().delete_model(request, obj)
        blocklist.forget()

    def delete_queryset(
        self, request: HttpRequest, queryset: QuerySet[BlockListEntry]
    ) -> None:
        super().delete_queryset(request, queryset)
        blocklist.forget()


@admin.register(SignatureFlag)
class SignatureFlagAdmin(ReadOnlyAdmin):
    list_display = ["hour", "petition", "kind", "value", "count", "invalidate_link"]
    list_filter = ["kind", "petition"]
    list_select_related = ["petition"]
    search_fields = ["value"]
    date_hierarchy = "hour"

    def get_urls(self) -> list[URLPattern]:
        invalidate = path(
            "invalidate/",
            self.admin_site.admin_view(self.invalidate_view),
            name="actions_signature_invalidate",
        )
        return [invalidate, *super().get_urls()]

    @admin.display(description=_("signatures"))
    def invalidate_link(self, flag: SignatureFlag) -> str:
        criterion = (
            "client_hash" if flag.kind == SignatureFlag.Kind.CLIENT else "email_domain"
        )
        hour = timezone.localtime(flag.hour)
        params: dict[str, int | str] = {
            "petition": flag.petition_id,
            criterion: flag.value,
            "signed_from": hour.strftime(LOCAL_MINUTE),
            "signed_to": (hour + timedelta(hours=1)).strftime(LOCAL_MINUTE),
        }
        query = urlencode(params)
        url = reverse("admin:actions_signature_invalidate")
        return format_html('<a href="{}?{}">{}</a>', url, query, _("Invalidate…"))

    def invalidate_view(self, request: HttpRequest) -> HttpResponse:
        """GET: choose a filter and see how many signatures match. POST (from
        the preview): invalidate them."""
        if not request.user.has_perm(INVALIDATE_PERMISSION):
            raise PermissionDenied
        user = request.user
        assert user.is_authenticated  # has_perm refused anonymous
        confirming = request.method == "POST"
        if confirming:
            form = InvalidateForm(request.POST, user=user)
        elif set(request.GET) & CRITERIA:
            form = InvalidateForm(request.GET, user=user)
        else:  # e.g. from a petition's page: the petition is chosen, no more
            form = InvalidateForm(initial=request.GET.dict(), user=user)
        if confirming and form.is_valid() and form.cleaned_data["as_of"]:
            done = services.invalidate_signatures(
                signature_filter=form.signature_filter(), user_id=user.pk
            )
            message = ngettext(
                "%(count)d signature invalidated.",
                "%(count)d signatures invalidated.",
                done,
            ) % {"count": done}
            self.message_user(request, message, messages.SUCCESS)
            return redirect(f"{request.path}?{_query(form, without='as_of')}")
        context = self.admin_site.each_context(request) | {
            "opts": self.opts,
            "title": _("Invalidate signatures"),
            "form": form,
            **(_preview(form, user_id=user.pk) if form.is_valid() else {}),
        }
        return TemplateResponse(request, "admin/abuse/invalidate.html", context)


def _preview(form: InvalidateForm, *, user_id: int) -> dict:
    """What the preview shows: counts by state, and the filter to confirm.
    Written to the audit log: a count is an answer to "did they sign?"."""
    chosen = replace(form.signature_filter(), as_of=timezone.now())
    by_state = services.preview_invalidation(signature_filter=chosen)
    audit.record_preview(
        user_id=user_id,
        obj=chosen.petition,
        what="invalidation",
        filters=chosen.describe(),
        matched=sum(by_state.values()),
    )
    # Times as ISO strings: a datetime would lose its microseconds in the
    # hidden field, and the confirmation then reach past the preview.
    confirm = InvalidateForm(
        user=form.user,
        initial={
            name: value.isoformat() if isinstance(value, datetime) else value
            for name, value in vars(chosen).items()
        },
    )
    return {
        "preview": [
            (label, by_state[state])
            for state, label in Signature.State.choices
            if by_state.get(state)
        ],
        "matching": sum(by_state.values()),
        "total": chosen.petition.signatures.count(),
        "petition": chosen.petition,
        "confirm_form": confirm,
    }


def _query(form: InvalidateForm, *, without: str) -> str:
    return urlencode(
        {
            name: form.data[name]
            for name in form.fields
            if name != without and form.data.get(name)
        }
    )
