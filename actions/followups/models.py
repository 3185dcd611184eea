"""Follow-ups, their deliveries and supporters' withdrawals of consent."""

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from actions.models import Petition
    from statements.models import Statement, Topic


# Triggers that belong to one petition's life: only a petition's follow-up has them.
MILESTONES = [
    "goal_reached",
    "closed",
    "delivered",
    "delivered_30",
    "delivered_60",
    "delivered_90",
    "won",
]
# Reminders: days after delivery (the accountability clock), by trigger. The
# target's response cancels those not yet sent.
DAYS_AFTER_DELIVERY = {"delivered_30": 30, "delivered_60": 60, "delivered_90": 90}


class FollowUp(models.Model):
    """An email a campaigner writes to the consenting signers of one petition,
    of every petition of a statement, or of every petition on a topic (each
    person once)."""

    class Trigger(models.TextChoices):
        NOW = "now", _("As soon as it is scheduled")
        AT = "at", _("At a given time")
        AFTER_CONFIRMATION = (
            "after_confirmation",
            _("A number of days after each signature is confirmed"),
        )
        GOAL_REACHED = "goal_reached", _("When the petition reaches its goal")
        CLOSED = "closed", _("When the petition closes")
        DELIVERED = "delivered", _("When the petition is marked delivered")
        DELIVERED_30 = "delivered_30", _("30 days after the petition is delivered")
        DELIVERED_60 = "delivered_60", _("60 days after the petition is delivered")
        DELIVERED_90 = "delivered_90", _("90 days after the petition is delivered")
        WON = "won", _("When the petition is marked won")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")

    # Who it goes to: exactly one of these (constraint followup_one_audience).
    petition = models.ForeignKey(
        "actions.Petition",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="follow_ups",
        verbose_name=_("petition"),
        help_text=_("Its consenting signers."),
    )
    statement = models.ForeignKey(
        "statements.Statement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("statement"),
        help_text=_(
            "The consenting signers of all its petitions, each person once "
            "(by email address, through their latest signature)."
        ),
    )
    topic = models.ForeignKey(
        "statements.Topic",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("topic"),
        help_text=_(
            "The consenting signers of every petition of the statements on "
            "this topic, each person once."
        ),
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    trigger = models.CharField(
        _("send"), max_length=30, choices=Trigger.choices, default=Trigger.NOW
    )
    send_at = models.DateTimeField(
        _("send at"), null=True, blank=True, help_text=_("For “At a given time”.")
    )
    days_after = models.PositiveSmallIntegerField(
        _("days after confirmation"),
        null=True,
        blank=True,
        help_text=_("For “A number of days after each signature is confirmed”."),
    )
    signed_version_at_most = models.PositiveIntegerField(
        _("signed on version … or earlier"),
        null=True,
        blank=True,
        help_text=_(
            "Only to those who signed this version of the text or an earlier "
            "one, e.g. to ask them to look at the new wording. Empty: everyone."
        ),
    )
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.DRAFT
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    scheduled_at = models.DateTimeField(_("scheduled at"), null=True, blank=True)
    sending_at = models.DateTimeField(_("sending since"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # Days-after follow-ups: deliveries exist for signatures confirmed up to here.
    queued_until = models.DateTimeField(null=True, blank=True, editable=False)
    # When a batch was last claimed; the sweeper restarts follow-ups gone quiet.
    batch_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        indexes = [
            models.Index(
                fields=["trigger"],
                condition=Q(state__in=["scheduled", "sending"]),
                name="followup_active",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    petition__isnull=False, statement__isnull=True, topic__isnull=True
                )
                | Q(petition__isnull=True, statement__isnull=False, topic__isnull=True)
                | Q(petition__isnull=True, statement__isnull=True, topic__isnull=False),
                name="followup_one_audience",
            ),
            models.CheckConstraint(
                condition=~Q(trigger__in=MILESTONES) | Q(petition__isnull=False),
                name="followup_milestone_has_petition",
            ),
            models.CheckConstraint(
                condition=~Q(trigger="at") | Q(send_at__isnull=False),
                name="followup_at_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(trigger="after_confirmation")
                | Q(days_after__isnull=False, days_after__gte=1),
                name="followup_after_confirmation_has_days",
            ),
            models.CheckConstraint(
                condition=Q(state="draft")
                | Q(scheduled_at__isnull=False)
                | Q(state="cancelled"),
                name="followup_scheduled_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state="sent") | Q(sent_at__isnull=False),
                name="followup_sent_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state="cancelled") | Q(cancelled_at__isnull=False),
                name="followup_cancelled_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_editable(self) -> bool:
        return self.state in {self.State.DRAFT, self.State.SCHEDULED}

    @property
    def audience(self) -> "Petition | Statement | Topic":
        """The petition, statement or topic whose signers it goes to."""
        audience = self.petition or self.statement or self.topic
        assert audience is not None  # constraint followup_one_audience
        return audience

    @property
    def is_recurring(self) -> bool:
        """Days-after follow-ups keep sending as signatures come of age."""
        return self.trigger == self.Trigger.AFTER_CONFIRMATION

    def schedule(self) -> bool:
        """Draft to scheduled. False if it was not a draft (safe to repeat)."""
        return self._move([self.State.DRAFT], self.State.SCHEDULED, "scheduled_at")

    def cancel(self) -> bool:
        """Stop it for good. False if it was already sent or cancelled."""
        active = [self.State.DRAFT, self.State.SCHEDULED, self.State.SENDING]
        return self._move(active, self.State.CANCELLED, "cancelled_at")

    def _move(self, sources: Sequence[str], target: str, stamp: str) -> bool:
        now = timezone.now()
        updated = FollowUp.objects.filter(pk=self.pk, state__in=sources).update(
            state=target, **{stamp: now}
        )
        if updated:
            self.state = target
            setattr(self, stamp, now)
        return updated == 1


class FollowUpDelivery(models.Model):
    """One follow-up to one signature: at most one email, by the constraint."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    # Every index is written on each state change, so none is redundant: the
    # unique constraint below serves lookups by follow-up.
    follow_up = models.ForeignKey(
        FollowUp, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    signature = models.ForeignKey(
        "actions.Signature", on_delete=models.CASCADE, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.QUEUED
    )
    # Also the claim's fencing token: only the worker holding the latest claim
    # can mark the row sent.
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("queued at"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    sending_at = models.DateTimeField(_("sending since"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("follow-up delivery")
        verbose_name_plural = _("follow-up deliveries")
        indexes = [
            models.Index(
                fields=["follow_up", "id"],
                condition=Q(state="queued"),
                name="followup_delivery_queued",
            ),
            models.Index(
                fields=["sending_at"],
                condition=Q(state="sending"),
                name="followup_delivery_sending",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["follow_up", "signature"], name="one_delivery_per_signature"
            ),
            models.CheckConstraint(
                condition=~Q(state="sent") | Q(sent_at__isnull=False),
                name="followup_delivery_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.follow_up_id} to {self.signature_id} ({self.state})"


class Withdrawal(models.Model):
    """A supporter's 'no more updates', for one petition or for all of them.

    Keyed by canonical email, so it covers every spelling of the address. One
    from all petitions covers signatures made up to withdrawn_at: a later
    signature with the updates box ticked is fresh consent.
    """

    class Method(models.TextChoices):
        ONE_CLICK = "one_click", _("One-click unsubscribe")
        LINK = "link", _("Unsubscribe link")
        PREFERENCES = "preferences", _("Email preferences page")

    canonical_email = models.EmailField(_("canonical email"))
    petition = models.ForeignKey(
        "actions.Petition",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("petition"),
        help_text=_("Empty: withdrawn from every petition's updates."),
    )
    signature = models.ForeignKey(
        "actions.Signature",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The signature whose email link was used."),
    )
    method = models.CharField(_("how"), max_length=20, choices=Method.choices)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), default=timezone.now)

    class Meta:
        verbose_name = _("withdrawal of consent")
        verbose_name_plural = _("withdrawals of consent")
        indexes = [models.Index(fields=["canonical_email"], name="withdrawal_email")]
        constraints = [
            models.UniqueConstraint(
                fields=["canonical_email", "petition"],
                condition=Q(petition__isnull=False),
                name="one_withdrawal_per_petition",
            ),
            models.UniqueConstraint(
                fields=["canonical_email"],
                condition=Q(petition__isnull=True),
                name="one_withdrawal_from_all",
            ),
        ]

    def __str__(self) -> str:
        scope = self.petition_id or "all"
        return f"{self.canonical_email} from {scope}"
