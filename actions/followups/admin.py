from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.csp import CSP
from django.utils.decorators import method_decorator
from django.utils.html import format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_http_methods
from modeltranslation.admin import TranslationAdmin

from actions.core.bulk.transport import CONNECTION_ERRORS, ConnectionLost, Refused
from actions.core.canonical import canonical_email
from actions.followups import audience, previews
from actions.followups import services as followups
from actions.followups.forms import FollowUpForm, SendTestForm
from actions.followups.models import FollowUp, FollowUpDelivery, Withdrawal
from actions.followups.rendering import is_written_in, list_headers
from staff.admin_base import ReadOnlyAdmin, ZoneNamedTimesAdmin, language_fieldsets


def _language(request: HttpRequest) -> str:
    """The language a preview or a test is asked in; the original's if none."""
    code = request.POST.get("language") or request.GET.get("language", "")
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


@admin.register(FollowUp)
class FollowUpAdmin(ZoneNamedTimesAdmin, TranslationAdmin):
    form = FollowUpForm
    # The original (settings.LANGUAGE_CODE) with the rest; each other
    # language folded in its own fieldset. Not the tabbed admin: it loads
    # jQuery UI from another host, which the admin's CSP refuses.
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "petition",
                    "statement",
                    "topic",
                    f"subject_{settings.LANGUAGE_CODE}",
                    f"body_{settings.LANGUAGE_CODE}",
                    "trigger",
                    "send_at",
                    "days_after",
                    "signed_version_at_most",
                    "state",
                    "progress",
                    "scheduled_at",
                    "sending_at",
                    "sent_at",
                    "cancelled_at",
                ]
            },
        ),
        *language_fieldsets(
            "subject",
            "body",
            description=_(
                "Signers who signed in this language get it in it. Leave "
                "subject and body empty and they get the original."
            ),
        ),
    ]
    list_display = ["subject", "sent_to", "trigger", "state", "progress", "sent_at"]
    list_filter = ["state", "trigger"]
    search_fields = ["subject", "petition__title", "statement__title", "topic__name"]
    list_select_related = ["petition", "statement", "topic"]
    autocomplete_fields = ["petition", "statement", "topic"]
    readonly_fields = [
        "state",
        "progress",
        "scheduled_at",
        "sending_at",
        "sent_at",
        "cancelled_at",
    ]
    actions = ["schedule", "cancel", "send_me_a_test"]
    change_form_template = "admin/followups/followup/change_form.html"

    def get_urls(self) -> list:
        # The preview frames the email, whose markup carries inline styles.
        preview = csp_override(
            settings.SECURE_CSP | {"style-src": [CSP.SELF, CSP.UNSAFE_INLINE]}
        )(self.preview_view)
        return [
            path(
                "<int:pk>/preview/",
                self.admin_site.admin_view(preview),
                name="followups_followup_preview",
            ),
            path(
                "<int:pk>/schedule/",
                self.admin_site.admin_view(self.schedule_view),
                name="followups_followup_schedule",
            ),
            path(
                "<int:pk>/send-test/",
                self.admin_site.admin_view(self.send_test_view),
                name="followups_followup_send_test",
            ),
            *super().get_urls(),
        ]

    def get_readonly_fields(
        self, request: HttpRequest, obj: FollowUp | None = None
    ) -> list[str]:
        if obj is not None and not obj.is_editable:
            return list(flatten_fieldsets(self.get_fieldsets(request, obj)))
        return list(super().get_readonly_fields(request, obj))

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

    @admin.display(description=_("sent to the signers of"))
    def sent_to(self, obj: FollowUp) -> str:
        return str(obj.audience)

    @admin.display(description=_("progress"))
    def progress(self, obj: FollowUp) -> str:
        if obj.pk is None:
            return "-"
        counts = getattr(obj, "progress_counts", None)
        if counts is None:
            counts = followups.progress([obj.pk])[obj.pk]
        url = reverse("admin:followups_followupdelivery_changelist")
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
        assert request.user.is_authenticated  # the admin lets in staff only
        language = _language(request)
        email = previews.preview_for_staff(
            follow_up,
            user_id=request.user.pk,
            of_a_signer=may_see_signers,
            language=language,
        )
        context = self.admin_site.each_context(request) | {
            "language": language,
            "languages": [
                {
                    "code": code,
                    "name": name,
                    "is_written": is_written_in(follow_up, code),
                    "is_current": code == language,
                }
                for code, name in settings.LANGUAGES
            ],
            "opts": self.opts,
            "original": follow_up,
            "title": _("Preview: %(subject)s") % {"subject": follow_up.subject},
            "email": email,
            "from_email": settings.DEFAULT_FROM_EMAIL,
            "headers": list_headers(email),
        }
        return TemplateResponse(
            request, "admin/followups/followup/preview.html", context
        )

    @method_decorator(require_http_methods(["GET", "POST"]))
    def send_test_view(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        """POST: send a test to the account's address, or to the one typed
        in. GET, or no address yet: the form that asks for one."""
        follow_up = self._follow_up(request, pk)
        to_email, form = self._test_address(request)
        if not to_email:
            return self._ask_for_address(request, [follow_up], form, via_action=False)
        self._send_test(request, [follow_up], to_email, language=_language(request))
        return redirect("admin:followups_followup_change", follow_up.pk)

    def schedule_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """GET: who it will reach, and a button; only the POST schedules it."""
        follow_up = self._follow_up(request, pk)
        if not self.has_change_permission(request, follow_up):
            raise PermissionDenied
        if request.method == "POST":
            self._schedule(request, [follow_up])
            return redirect("admin:followups_followup_change", follow_up.pk)
        return self._confirm_schedule(request, [follow_up], selected=[])

    def _follow_up(self, request: HttpRequest, pk: int) -> FollowUp:
        follow_up: FollowUp = get_object_or_404(
            FollowUp.objects.select_related(
                "petition__statement", "statement", "topic"
            ),
            pk=pk,
        )
        if not self.has_view_permission(request, follow_up):
            raise PermissionDenied
        return follow_up

    def _test_address(self, request: HttpRequest) -> tuple[str, SendTestForm]:
        """Where a test goes: the address typed in, else the account's on a
        POST; empty until one is known (the form then asks)."""
        assert request.user.is_authenticated  # the admin lets in staff only
        if "to_email" in request.POST:
            form = SendTestForm(request.POST)
            return (form.cleaned_data["to_email"] if form.is_valid() else ""), form
        form = SendTestForm(initial={"to_email": request.user.email})
        return (request.user.email if request.method == "POST" else ""), form

    def _ask_for_address(
        self,
        request: HttpRequest,
        follow_ups: list[FollowUp],
        form: SendTestForm,
        *,
        via_action: bool,
    ) -> TemplateResponse:
        context = self.admin_site.each_context(request) | {
            "opts": self.opts,
            "title": _("Send a test"),
            "follow_ups": follow_ups,
            "form": form,
            "via_action": via_action,
            "action_url": request.get_full_path(),
            "language": _language(request),
        }
        return TemplateResponse(
            request, "admin/followups/followup/send_test.html", context
        )

    def _send_test(
        self,
        request: HttpRequest,
        follow_ups: list[FollowUp],
        to_email: str,
        *,
        language: str = "",
    ) -> None:
        for follow_up in follow_ups:
            try:
                previews.send_test(
                    follow_up=follow_up, to_email=to_email, language=language
                )
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

    @admin.action(
        description=_("Schedule selected follow-ups…"), permissions=["change"]
    )
    def schedule(
        self, request: HttpRequest, queryset: QuerySet[FollowUp]
    ) -> HttpResponse | None:
        """First a page saying whom each one reaches; its button schedules."""
        follow_ups = list(
            queryset.select_related("petition", "statement", "topic").order_by("pk")
        )
        if request.POST.get("confirm") != "yes":
            selected = [str(follow_up.pk) for follow_up in follow_ups]
            return self._confirm_schedule(request, follow_ups, selected=selected)
        self._schedule(request, follow_ups)
        return None

    def _confirm_schedule(
        self, request: HttpRequest, follow_ups: list[FollowUp], *, selected: list[str]
    ) -> HttpResponse:
        drafts = [f for f in follow_ups if f.state == FollowUp.State.DRAFT]
        context = self.admin_site.each_context(request) | {
            "opts": self.opts,
            "title": _("Schedule follow-ups?"),
            "rows": [
                {"follow_up": f, "reach": reach_message(f, audience.reach(f))}
                for f in drafts
            ],
            "not_drafts": [f for f in follow_ups if f not in drafts],
            "selected": selected,
        }
        return TemplateResponse(
            request, "admin/followups/followup/schedule.html", context
        )

    def _schedule(self, request: HttpRequest, follow_ups: list[FollowUp]) -> None:
        done = sum(followups.schedule(follow_up=follow_up) for follow_up in follow_ups)
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
    ) -> TemplateResponse | None:
        follow_ups = list(
            queryset.select_related("petition__statement", "statement", "topic")
        )
        to_email, form = self._test_address(request)
        if not to_email:
            return self._ask_for_address(request, follow_ups, form, via_action=True)
        self._send_test(request, follow_ups, to_email)
        return None


def reach_message(follow_up: FollowUp, reach: audience.Reach) -> str:
    """Whom scheduling a follow-up now reaches, in a campaigner's words."""
    if reach.days is not None:
        when = ngettext(
            "Nobody gets it at once: each signer gets it %(days)d day after "
            "confirming.",
            "Nobody gets it at once: each signer gets it %(days)d days after "
            "confirming.",
            reach.days,
        ) % {"days": reach.days}
        who = ngettext(
            "%(count)d person who confirmed in that time is due to get it on "
            "their day, and more follow as people confirm.",
            "%(count)d people who confirmed in that time are due to get it on "
            "their day, and more follow as people confirm.",
            reach.people,
        ) % {"count": reach.people}
        return " ".join([when, who])
    if follow_up.trigger == FollowUp.Trigger.NOW:
        return ngettext(
            "It goes to %(count)d person at once.",
            "It goes to %(count)d people at once.",
            reach.people,
        ) % {"count": reach.people}
    return ngettext(
        "It would reach %(count)d person today; who gets it is decided again "
        "when it starts.",
        "It would reach %(count)d people today; who gets it is decided again "
        "when it starts.",
        reach.people,
    ) % {"count": reach.people}


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
