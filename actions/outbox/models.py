from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboundEmail(models.Model):
    """One email to send (the outbox). A worker claims a row, leased to it
    while it sends; see docs/architecture.md for how often one may go twice."""

    class Kind(models.TextChoices):
        CONFIRM = "confirm", _("Confirm your signature")
        ALREADY_SIGNED = "already_signed", _("Already signed")
        DATA_REQUEST = "data_request", _("Link to your data")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    to_email = models.EmailField(_("to"))
    signature = models.ForeignKey(
        "actions.Signature",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="emails",
    )
    # What it is written in: its signature's language, or for "Your data",
    # that of the page it was asked for on.
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # When the row is next due; the sweeper re-enqueues rows overdue by a margin.
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    sending_at = models.DateTimeField(_("sending since"), null=True, blank=True)
    # A "sending" row is its worker's until then; the worker renews it while
    # the send lasts, and the sweeper takes back a row whose lease ran out.
    lease_until = models.DateTimeField(_("leased until"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("outbound email")
        verbose_name_plural = _("outbound emails")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state="queued"),
                name="outbox_queued_due",
            ),
            models.Index(
                fields=["lease_until"],
                condition=Q(state="sending"),
                name="outbox_sending_lease",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="sent") | Q(sent_at__isnull=False),
                name="outbound_sent_has_time",
            ),
            # A row sending without a lease would never be taken back.
            models.CheckConstraint(
                condition=~Q(state="sending") | Q(lease_until__isnull=False),
                name="outbound_sending_has_lease",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_email} ({self.state})"
