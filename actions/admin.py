from collections.abc import Callable
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.csp import CSP
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_POST

from actions import dashboard
from actions.abuse import services as abuse_services
from actions.abuse.admin import AbuseSettingsInline
from actions.exports import views as export_views
from actions.exports.services import AUDIT_PERMISSION, download_token, may_export
from actions.followups import sending
from actions.followups import services as followups
from actions.followups.forms import FollowUpForm
from actions.followups.rendering import list_headers
from actions.followups.transport import CONNECTION_ERRORS, ConnectionLost, Refused
from actions.models import (
    ConsentRecord,
    ConsentWording,
    Erasure,
    FollowUp,
    FollowUpDelivery,
    OutboundEmail,
    Petition,
    Signature,
    SignatureExport,
    Suppression,
    Target,
    Withdrawal,
)
from actions.services import canonical_email
from campaign.admin import ReadOnlyAdmin, SuperuserOnlyAdmin
from campaign.audit import log_state_change, record_signer_view

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ["name", "description"]
    search_fields = ["name", "description"]


@admin.register(Petition)
class PetitionAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "statement",
        "target",
        "state",
        "goal",
        "confirmed",
        "sensitive",
        "signatures_link",
        "dashboard_link",
    ]
    list_filter = ["state", "sensitive"]
    search_fields = ["title", "demand", "statement__title"]
    list_select_related = ["statement", "target"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["target"]
    readonly_fields = ["closed_at", "delivered_at", "won_at"]
    actions = ["close", "mark_delivered", "mark_won"]
    inlines = [AbuseSettingsInline]

    def get_list_display(self, request: HttpRequest) -> list:
        # Campaigners see counts, never who signed.
        if request.user.has_perm("actions.view_signature"):
            return self.list_display
        return [name for name in self.list_display if name != "signatures_link"]

    @admin.display(description=_("confirmed signatures"))
    def confirmed(self, obj: Petition) -> int:
        return obj.confirmed_count()

    @admin.display(description=_("signatures"))
    def signatures_link(self, obj: Petition) -> str:
        url = reverse("admin:actions_signature_changelist")
        query = urlencode({"petition__id__exact": obj.pk})
        return format_html('<a href="{}?{}">{}</a>', url, query, _("List"))

    @admin.display(description=_("dashboard"))
    def dashboard_link(self, obj: Petition) -> str:
        url = reverse("admin:actions_petition_dashboard", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Dashboard"))

    def get_urls(self) -> list[URLPattern]:
        dashboard_url = path(
            "<path:object_id>/dashboard/",
            self.admin_site.admin_view(self.dashboard_view),
            name="actions_petition_dashboard",
        )
        return [dashboard_url, *super().get_urls()]

    def dashboard_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Counts and charts of one petition, for staff who may view petitions."""
        if not self.has_view_permission(request):
            raise PermissionDenied  # before the lookup: no probing for petitions
        petition = self.get_object(request, unquote(object_id))
        if petition is None:
            raise Http404
        context = self.admin_site.each_context(request) | {
            "opts": self.opts,
            "title": _("Dashboard: %(petition)s") % {"petition": petition},
            "petition": petition,
            "dashboard": dashboard.petition_dashboard(petition=petition),
        }
        return TemplateResponse(
            request, "admin/actions/petition/dashboard.html", context
        )

    def _transition(
        self,
        request: HttpRequest,
        queryset: QuerySet[Petition],
        move: Callable[[Petition], bool],
    ) -> None:
        moved = [petition for petition in queryset if move(petition)]
        for petition in moved:
            log_state_change(self, request, petition)
        done = len(moved)
        self.message_user(
            request, _("%(n)d petition(s) updated.") % {"n": done}, messages.SUCCESS
        )

    @admin.action(description=_("Close selected petitions"))
    def close(self, request: HttpRequest, queryset: QuerySet[Petition]) -> None:
        self._transition(request, queryset, Petition.close)

    @admin.action(description=_("Mark selected petitions delivered"))
    def mark_delivered(
        self, request: HttpRequest, queryset: QuerySet[Petition]
    ) -> None:
        # Starts the petitions' "when delivered" follow-ups too.
        self._transition(
            request,
            queryset,
            lambda petition: followups.mark_petition_delivered(petition=petition),
        )

    @admin.action(description=_("Mark selected petitions won"))
    def mark_won(self, request: HttpRequest, queryset: QuerySet[Petition]) -> None:
        self._transition(request, queryset, Petition.mark_won)


@admin.register(Signature)
class SignatureAdmin(ReadOnlyAdmin):
    list_display = [
        "canonical_email",
        "first_name",
        "last_name",
        "country",
        "state",
        "created_at",
        "confirmed_at",
        "source",
    ]
    list_filter = ["state", "suspect_reason", "petition", "wants_updates", "country"]
    search_fields = ["=canonical_email", "last_name"]
    list_select_related = ["petition"]
    # Millions of rows: no exact COUNT(*) for every filter change.
    show_full_result_count = False
    list_per_page = 50
    ordering = ["-created_at"]
    change_list_template = "admin/actions/signature/change_list.html"
    actions = ["release_suspects"]

    def has_release_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("actions.invalidate_signature")

    @admin.action(
        description=_("Release selected suspect signatures (they get a confirmation)"),
        permissions=["release"],
    )
    def release_suspects(
        self, request: HttpRequest, queryset: QuerySet[Signature]
    ) -> None:
        assert request.user.is_authenticated  # the admin lets in staff only
        released = abuse_services.release_suspects(
            signatures=queryset, user_id=request.user.pk
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d suspect signature released: its confirmation email "
                "is on its way.",
                "%(count)d suspect signatures released: their confirmation "
                "emails are on their way.",
                released,
            )
            % {"count": released},
            messages.SUCCESS if released else messages.WARNING,
        )

    def get_urls(self) -> list:
        export = self.admin_site.admin_view(export_views.export_signatures)
        return [
            path("export/", export, name="actions_signature_export"),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict | None = None
    ) -> HttpResponse:
        context = {"may_export": may_export(request.user)} | (extra_context or {})
        return super().changelist_view(request, extra_context=context)

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        # Every look at a sensitive petition's signers is logged: the petitions
        # on the page, and the one the list is filtered to.
        changelist = super().get_changelist_instance(request)
        sensitive = {s.petition for s in changelist.result_list if s.petition.sensitive}
        filtered = request.GET.get("petition__id__exact", "")
        if filtered.isdigit():
            sensitive.update(Petition.objects.filter(pk=filtered, sensitive=True))
        for petition in sensitive:
            assert request.user.is_authenticated  # the admin lets in staff only
            record_signer_view(
                user_id=request.user.pk, petition=petition, via="signature_list"
            )
        return changelist

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        signature = getattr(response, "context_data", {}).get("original")
        if response.status_code == 200 and signature and signature.petition.sensitive:
            assert request.user.is_authenticated  # the admin lets in staff only
            record_signer_view(
                user_id=request.user.pk, petition=signature.petition, via="signature"
            )
        return response

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Signature], search_term: str
    ) -> tuple[QuerySet[Signature], bool]:
        # Any spelling of an address finds its signature (Ada@Gmail vs a.da@).
        if "@" in search_term:
            canonical = canonical_email(search_term)
            return queryset.filter(canonical_email=canonical), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdmin):
    list_display = ["kind", "to_email", "state", "attempts", "created_at", "sent_at"]
    list_filter = ["state", "kind"]
    search_fields = ["=to_email"]
    show_full_result_count = False
    ordering = ["-created_at"]


@admin.register(Suppression)
class SuppressionAdmin(ReadOnlyAdmin):
    list_display = ["canonical_email", "reason", "provider", "created_at"]
    list_filter = ["reason", "provider"]
    search_fields = ["=canonical_email"]
    show_full_result_count = False
    ordering = ["-created_at"]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Lifting a suppression lets mail reach a box that refused it or whose
        # owner called it spam: a decision for a superuser, on evidence.
        return request.user.is_superuser

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Suppression], search_term: str
    ) -> tuple[QuerySet[Suppression], bool]:
        if "@" in search_term:
            return queryset.filter(canonical_email=canonical_email(search_term)), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(SignatureExport)
class SignatureExportAdmin(ReadOnlyAdmin):
    """The audit trail of exports, and the links to files built in the
    background. Exporters see their own; a superuser or a holder of
    view_signatureexport sees everyone's."""

    list_display = [
        "created_at",
        "username",
        "format",
        "via",
        "state",
        "row_count",
        "filters_summary",
        "finished_at",
    ]
    list_filter = ["state", "format", "via"]
    search_fields = ["username"]
    fields = [
        "username",
        "format",
        "via",
        "state",
        "filters_summary",
        "row_count",
        "error",
        "created_at",
        "started_at",
        "finished_at",
        "failed_at",
        "expired_at",
    ]
    # Plain field names, all read-only; the stubs type fields as field groups.
    readonly_fields = fields  # type: ignore[assignment]

    def get_urls(self) -> list:
        download = self.admin_site.admin_view(export_views.download_export)
        return [
            path(
                "download/<str:token>/",
                download,
                name="actions_signatureexport_download",
            ),
            *super().get_urls(),
        ]

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return may_export(request.user) or request.user.has_perm(AUDIT_PERMISSION)

    def get_queryset(self, request: HttpRequest) -> QuerySet[SignatureExport]:
        queryset = super().get_queryset(request)
        if request.user.has_perm(AUDIT_PERMISSION):
            return queryset
        return queryset.filter(user=request.user)

    def get_list_display(self, request: HttpRequest) -> list:
        return [*self.list_display, self._download_column(request)]

    def _download_column(self, request: HttpRequest) -> Callable:
        # A link token is bound to the user who sees the page.
        @admin.display(description=_("file"))
        def download(obj: SignatureExport) -> str:
            if obj.state != SignatureExport.State.DONE or not obj.file:
                return "-"
            if not may_export(request.user):
                return "-"
            token = download_token(obj, user=request.user)
            url = reverse("admin:actions_signatureexport_download", args=[token])
            return format_html('<a href="{}">{}</a>', url, _("Download"))

        return download

    @admin.display(description=_("filters"))
    def filters_summary(self, obj: SignatureExport) -> "StrOrPromise":
        if not obj.filters:
            return _("all signatures")
        return format_html_join(
            ", ", "{}={}", sorted((str(k), str(v)) for k, v in obj.filters.items())
        )


# Follow-ups


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    form = FollowUpForm
    list_display = ["subject", "petition", "trigger", "state", "progress", "sent_at"]
    list_filter = ["state", "trigger"]
    search_fields = ["subject", "petition__title"]
    list_select_related = ["petition"]
    autocomplete_fields = ["petition"]
    readonly_fields = [
        "state",
        "progress",
        "scheduled_at",
        "sending_at",
        "sent_at",
        "cancelled_at",
    ]
    actions = ["schedule", "cancel", "send_me_a_test"]
    change_form_template = "admin/actions/followup/change_form.html"

    def get_urls(self) -> list:
        # The preview frames the email, whose markup carries inline styles.
        preview = csp_override(
            settings.SECURE_CSP | {"style-src": [CSP.SELF, CSP.UNSAFE_INLINE]}
        )(self.preview_view)
        return [
            path(
                "<int:pk>/preview/",
                self.admin_site.admin_view(preview),
                name="actions_followup_preview",
            ),
            path(
                "<int:pk>/send-test/",
                self.admin_site.admin_view(self.send_test_view),
                name="actions_followup_send_test",
            ),
            *super().get_urls(),
        ]

    def get_readonly_fields(
        self, request: HttpRequest, obj: FollowUp | None = None
    ) -> list[str]:
        if obj is not None and not obj.is_editable:
            return [*FollowUpForm.Meta.fields, *self.readonly_fields]
        return self.readonly_fields

    def has_delete_permission(
        self, request: HttpRequest, obj: FollowUp | None = None
    ) -> bool:
        # What was sent stays on record; drafts may go.
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.state == FollowUp.State.DRAFT)

    def get_actions(
        self,
        request: HttpRequest,
        action_location: ActionLocation = ActionLocation.CHANGE_LIST,
    ) -> dict:
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)  # it would skip the draft check
        return actions

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        changelist = super().get_changelist_instance(request)
        page = list(changelist.result_list)
        counts = followups.progress([follow_up.pk for follow_up in page])
        for follow_up in page:
            follow_up.progress_counts = counts[follow_up.pk]
        return changelist

    @admin.display(description=_("progress"))
    def progress(self, obj: FollowUp) -> str:
        if obj.pk is None:
            return "-"
        counts = getattr(obj, "progress_counts", None)
        if counts is None:
            counts = followups.progress([obj.pk])[obj.pk]
        url = reverse("admin:actions_followupdelivery_changelist")
        return format_html_join(
            " · ",
            '<a href="{}?{}">{} {}</a>',
            (
                (
                    url,
                    urlencode({"follow_up__id__exact": str(obj.pk), "state": state}),
                    label,
                    counts.get(state, 0),
                )
                for state, label in FollowUpDelivery.State.choices
            ),
        )

    def preview_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The email as its first recipient would get it; its links are inert."""
        follow_up = self._follow_up(request, pk)
        # A campaigner sees no signer, not even one first name.
        may_see_signers = request.user.has_perm("actions.view_signature")
        email = sending.preview(follow_up, of_a_signer=may_see_signers)
        context = self.admin_site.each_context(request) | {
            "opts": self.opts,
            "original": follow_up,
            "title": _("Preview: %(subject)s") % {"subject": follow_up.subject},
            "email": email,
            "from_email": settings.DEFAULT_FROM_EMAIL,
            "headers": list_headers(email),
        }
        return TemplateResponse(request, "admin/actions/followup/preview.html", context)

    @method_decorator(require_POST)
    def send_test_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        follow_up = self._follow_up(request, pk)
        self._send_test(request, [follow_up])
        return redirect("admin:actions_followup_change", follow_up.pk)

    def _follow_up(self, request: HttpRequest, pk: int) -> FollowUp:
        follow_up = get_object_or_404(
            FollowUp.objects.select_related("petition__statement"), pk=pk
        )
        if not self.has_view_permission(request, follow_up):
            raise PermissionDenied
        return follow_up

    def _send_test(self, request: HttpRequest, follow_ups: list[FollowUp]) -> None:
        assert request.user.is_authenticated  # the admin lets in staff only
        to_email = request.user.email
        if not to_email:
            self.message_user(
                request,
                _("Your account has no email address: add one to get tests."),
                messages.ERROR,
            )
            return
        for follow_up in follow_ups:
            try:
                sending.send_test(follow_up=follow_up, to_email=to_email)
            except (Refused, ConnectionLost, *CONNECTION_ERRORS) as exc:
                self.message_user(
                    request,
                    _("The test of “%(subject)s” could not be sent: %(error)s")
                    % {"subject": follow_up.subject, "error": exc},
                    messages.ERROR,
                )
                return
        self.message_user(
            request,
            _("Test sent to %(email)s.") % {"email": to_email},
            messages.SUCCESS,
        )

    @admin.action(description=_("Schedule selected follow-ups"))
    def schedule(self, request: HttpRequest, queryset: QuerySet[FollowUp]) -> None:
        done = sum(followups.schedule(follow_up=follow_up) for follow_up in queryset)
        self.message_user(
            request,
            ngettext("%d follow-up scheduled.", "%d follow-ups scheduled.", done)
            % done,
            messages.SUCCESS,
        )

    @admin.action(description=_("Cancel selected follow-ups"))
    def cancel(self, request: HttpRequest, queryset: QuerySet[FollowUp]) -> None:
        done = sum(followups.cancel(follow_up=follow_up) for follow_up in queryset)
        self.message_user(
            request,
            ngettext("%d follow-up cancelled.", "%d follow-ups cancelled.", done)
            % done,
            messages.SUCCESS,
        )

    @admin.action(description=_("Send me a test of selected follow-ups"))
    def send_me_a_test(
        self, request: HttpRequest, queryset: QuerySet[FollowUp]
    ) -> None:
        self._send_test(request, list(queryset.select_related("petition__statement")))


@admin.register(FollowUpDelivery)
class FollowUpDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["signature", "state", "attempts", "created_at", "sent_at"]
    list_filter = ["state", "follow_up"]
    list_select_related = ["signature"]
    show_full_result_count = False
    ordering = ["-pk"]


@admin.register(Withdrawal)
class WithdrawalAdmin(ReadOnlyAdmin):
    list_display = ["canonical_email", "petition", "method", "withdrawn_at"]
    list_filter = ["method"]
    search_fields = ["=canonical_email"]
    list_select_related = ["petition"]
    show_full_result_count = False
    ordering = ["-withdrawn_at"]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Withdrawal], search_term: str
    ) -> tuple[QuerySet[Withdrawal], bool]:
        if "@" in search_term:
            return queryset.filter(canonical_email=canonical_email(search_term)), False
        return super().get_search_results(request, queryset, search_term)


# Privacy


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ReadOnlyAdmin):
    """Every answer about updates, as given: superusers and Reports look.

    Shows signature ids, not addresses: the signature list (where looks at a
    sensitive petition are logged) is the way from a person to their records.
    """

    list_display = [
        "recorded_at",
        "signature_id",
        "petition",
        "given",
        "all_petitions",
        "form",
        "wording",
    ]
    list_filter = ["given", "form", "wording"]
    search_fields = ["=signature__id"]
    list_select_related = ["signature__petition", "wording"]
    show_full_result_count = False
    fields = [
        "signature_id",
        "petition",
        "given",
        "all_petitions",
        "form",
        "wording",
        "recorded_at",
    ]
    # Plain field names, all read-only; the stubs type fields as field groups.
    readonly_fields = fields  # type: ignore[assignment]

    @admin.display(description=_("petition"))
    def petition(self, obj: ConsentRecord) -> str:
        return str(obj.signature.petition)


@admin.register(ConsentWording)
class ConsentWordingAdmin(ReadOnlyAdmin):
    list_display = ["version", "language", "text", "text_hash", "first_shown_at"]
    list_filter = ["language"]


@admin.register(Erasure)
class ErasureAdmin(SuperuserOnlyAdmin):
    """When signer data was erased, and why: the record names no one."""

    list_display = ["erased_at", "reason", "petition", "signatures"]
    list_filter = ["reason"]
    list_select_related = ["petition"]
