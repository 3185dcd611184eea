from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import escape, format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from actions import lifecycle
from actions.abuse import services as abuse_services
from actions.abuse.admin import AbuseSettingsInline
from actions.core.canonical import canonical_email
from actions.dashboard import services as dashboard
from actions.embed import services as embed
from actions.exports import views as export_views
from actions.exports.services import may_export
from actions.forms import PetitionAdminForm
from actions.models import Petition, Signature, Target
from actions.revisions.services import record_revisions
from staff.admin_base import ReadOnlyAdmin, TranslatedAdmin, original_fields
from staff.audit import record_signer_view

# Only superusers change these: sensitive keeps signers out of exports and
# packs; retention decides when their names are erased.
PROTECTION_FIELDS = ["sensitive", "retention_days"]


@admin.register(Target)
class TargetAdmin(TranslatedAdmin):
    list_display = ["name", "description"]
    search_fields = original_fields("name", "description")


@admin.register(Petition)
class PetitionAdmin(TranslatedAdmin):
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
    search_fields = [
        *original_fields("title", "demand"),
        *(f"statement__{name}" for name in original_fields("title")),
    ]
    list_select_related = ["statement", "target"]
    prepopulated_fields = {"slug": original_fields("title")}
    autocomplete_fields = ["target"]
    form = PetitionAdminForm
    # States move only by the transitions (buttons and list actions below).
    readonly_fields = [
        "state",
        "opened_at",
        "closed_at",
        "delivered_at",
        "won_at",
        "embed_snippet",
    ]
    actions = ["open_selected", "close_selected", "deliver_selected", "win_selected"]
    inlines = [AbuseSettingsInline]
    # Letter actions share the table and have an admin of their own
    # (actions.letters.admin, built on this one).
    kind = Petition.Kind.PETITION

    def get_queryset(self, request: HttpRequest) -> QuerySet[Petition]:
        return super().get_queryset(request).filter(kind=self.kind)

    def _url_name(self, view: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{view}"

    def get_readonly_fields(
        self, request: HttpRequest, obj: Petition | None = None
    ) -> list[str]:
        # Lifting protection would let a campaigner expose or erase signers.
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += PROTECTION_FIELDS
        return readonly

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: list, change: bool
    ) -> None:
        """Keep a version of the petition's text if it changed."""
        super().save_related(request, form, formsets, change)
        petition = Petition.objects.select_related("statement", "target").get(
            pk=form.instance.pk
        )
        is_minor = form.cleaned_data.get("is_minor_change", False)
        if record_revisions(petitions=[petition], is_minor=is_minor):
            self.message_user(
                request, _("A new version of the signed text was kept."), messages.INFO
            )

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

    @admin.display(description=_("embed on a partner's site"))
    def embed_snippet(self, obj: Petition | None) -> str:
        """The lines a partner pastes into a page of a site listed above."""
        if obj is None or obj.pk is None:
            return str(_("Save it first: the code to copy appears here."))
        return format_html(
            '<textarea readonly rows="3" cols="90" class="vLargeTextField" '
            'aria-label="{}">{}</textarea><div class="help">{}</div>',
            _("Code to embed the form"),
            escape(embed.snippet(obj)),  # shown as text, to copy
            _(
                "Partners paste these lines into a page of one of the sites "
                "listed (or any site, if allowed): the form shows in the "
                "petition's original language. For another, add its prefix "
                "to the address, as in /fr/petitions/…/embed/ (es, ar, my "
                "likewise)."
            ),
        )

    @admin.display(description=_("dashboard"))
    def dashboard_link(self, obj: Petition) -> str:
        url = reverse(f"admin:{self._url_name('dashboard')}", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Dashboard"))

    def get_urls(self) -> list[URLPattern]:
        dashboard_url = path(
            "<path:object_id>/dashboard/",
            self.admin_site.admin_view(self.dashboard_view),
            name=self._url_name("dashboard"),
        )
        transition_url = path(
            "<path:object_id>/transition/<str:name>/",
            self.admin_site.admin_view(self.transition_view),
            name=self._url_name("transition"),
        )
        return [dashboard_url, transition_url, *super().get_urls()]

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

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        petition = self.get_object(request, unquote(object_id))
        may_move = petition is not None and self.has_change_permission(request)
        buttons = lifecycle.allowed(petition) if petition and may_move else []
        context = {"transitions": buttons} | (extra_context or {})
        return super().change_view(request, object_id, form_url, context)

    def transition_view(
        self, request: HttpRequest, object_id: str, name: str
    ) -> HttpResponse:
        """One transition of one petition: GET says what it will do, POST does it."""
        if not self.has_change_permission(request):
            raise PermissionDenied  # before the lookup: no probing for petitions
        petition = self.get_object(request, unquote(object_id))
        if petition is None or name not in lifecycle.TRANSITIONS:
            raise Http404
        if request.method == "POST":
            self._make(request, [petition], name)
            url = reverse(f"admin:{self._url_name('change')}", args=[petition.pk])
            return HttpResponseRedirect(url)
        return self._confirm(request, [petition], name, action="")

    def _confirm(
        self, request: HttpRequest, petitions: list[Petition], name: str, action: str
    ) -> TemplateResponse:
        """The confirmation page: what the transition will do to each petition,
        or why it will not."""
        transition = lifecycle.TRANSITIONS[name]
        items = [
            {
                "petition": petition,
                "refusal": lifecycle.refusal(petition, transition),
                "lines": lifecycle.describe(petition, transition),
            }
            for petition in petitions
        ]
        context = self.admin_site.each_context(request) | {
            "opts": self.opts,
            "title": _("%(transition)s: are you sure?")
            % {"transition": transition.label},
            "transition": transition,
            "items": items,
            "action": action,
            "may_move": any(not item["refusal"] for item in items),
        }
        return TemplateResponse(
            request, "admin/actions/petition/transition.html", context
        )

    def _make(self, request: HttpRequest, petitions: list[Petition], name: str) -> None:
        assert request.user.is_authenticated  # the admin lets in staff only
        moved = []
        for petition in petitions:
            try:
                lifecycle.make_transition(
                    petition=petition, name=name, user_id=request.user.pk
                )
                moved.append(petition)
            except lifecycle.TransitionRefused as refused:
                self.message_user(request, str(refused), messages.ERROR)
        if moved:
            done = ngettext(
                "%(count)d petition is now %(state)s.",
                "%(count)d petitions are now %(state)s.",
                len(moved),
            ) % {
                "count": len(moved),
                "state": str(Petition.State(moved[0].state).label).lower(),
            }
            self.message_user(request, done, messages.SUCCESS)

    def _act(
        self, request: HttpRequest, queryset: QuerySet[Petition], name: str
    ) -> TemplateResponse | None:
        """A list action: the confirmation page first, the transition on its POST."""
        petitions = list(queryset.order_by("pk"))
        if request.POST.get("confirmed") != "yes":
            return self._confirm(request, petitions, name, action=name + "_selected")
        self._make(request, petitions, name)
        return None

    @admin.action(description=_("Open selected petitions now"), permissions=["change"])
    def open_selected(
        self, request: HttpRequest, queryset: QuerySet[Petition]
    ) -> TemplateResponse | None:
        return self._act(request, queryset, "open")

    @admin.action(description=_("Close selected petitions"), permissions=["change"])
    def close_selected(
        self, request: HttpRequest, queryset: QuerySet[Petition]
    ) -> TemplateResponse | None:
        return self._act(request, queryset, "close")

    @admin.action(
        description=_("Mark selected petitions delivered"), permissions=["change"]
    )
    def deliver_selected(
        self, request: HttpRequest, queryset: QuerySet[Petition]
    ) -> TemplateResponse | None:
        return self._act(request, queryset, "deliver")

    @admin.action(description=_("Mark selected petitions won"), permissions=["change"])
    def win_selected(
        self, request: HttpRequest, queryset: QuerySet[Petition]
    ) -> TemplateResponse | None:
        return self._act(request, queryset, "win")


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

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        response = super().history_view(request, object_id, extra_context)
        signature = getattr(response, "context_data", {}).get("object")
        if response.status_code == 200 and signature and signature.petition.sensitive:
            assert request.user.is_authenticated  # the admin lets in staff only
            record_signer_view(
                user_id=request.user.pk,
                petition=signature.petition,
                via="signature_history",
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
