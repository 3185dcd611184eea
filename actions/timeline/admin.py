from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext as _

from actions.timeline import services
from actions.timeline.forms import DeliveryForm, OutcomeForm, ResponseForm
from actions.timeline.models import Delivery, Outcome, Response


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Recording a delivery marks a closed petition delivered, at its time."""

    form = DeliveryForm
    list_display = ["petition", "delivered_at", "to_whom", "published_at"]
    list_select_related = ["petition"]
    autocomplete_fields = ["petition"]

    def save_model(
        self, request: HttpRequest, obj: Delivery, form: DeliveryForm, change: bool
    ) -> None:
        assert request.user.is_authenticated  # the admin lets in staff only
        try:
            services.record_delivery(delivery=obj, user_id=request.user.pk)
        except services.TransitionRefused as refused:  # moved since the form
            self.message_user(request, str(refused), messages.ERROR)


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    """The target's answer: it stops the public clock once published."""

    form = ResponseForm
    list_display = ["petition", "received_at", "published_at"]
    list_select_related = ["petition"]
    autocomplete_fields = ["petition"]

    def save_model(
        self, request: HttpRequest, obj: Response, form: ResponseForm, change: bool
    ) -> None:
        for subject in services.record_response(response=obj):
            self.message_user(
                request,
                _("The reminder “%(subject)s” was cancelled: the target answered.")
                % {"subject": subject},
                messages.INFO,
            )


@admin.register(Outcome)
class OutcomeAdmin(admin.ModelAdmin):
    """Won, lost or no answer; "won" marks the petition won too."""

    form = OutcomeForm
    list_display = ["petition", "result", "decided_at", "published_at"]
    list_filter = ["result"]
    list_select_related = ["petition"]
    autocomplete_fields = ["petition"]

    def save_model(
        self, request: HttpRequest, obj: Outcome, form: OutcomeForm, change: bool
    ) -> None:
        assert request.user.is_authenticated  # the admin lets in staff only
        try:
            services.record_outcome(outcome=obj, user_id=request.user.pk)
        except services.TransitionRefused as refused:  # moved since the form
            self.message_user(request, str(refused), messages.ERROR)
