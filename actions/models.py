from django.conf import settings
from django.db import models
from django.db.models import F, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

# Confirmations spread over this many counter rows per petition, so that a
# viral petition's confirmations do not queue on one row lock.
COUNT_SHARDS = 16


class Target(models.Model):
    """A person or body a call to action urges, e.g. the UN Security Council."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.CharField(
        _("description"),
        max_length=300,
        blank=True,
        help_text=_("Who they are, e.g. 'Prime Minister of Cambodia'."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")

    def __str__(self) -> str:
        return self.name


class CallToAction(models.Model):
    """What every kind of call to action shares: a demand in a statement."""

    statement = models.ForeignKey(
        "statements.Statement",
        on_delete=models.CASCADE,
        related_name="%(class)ss",
        verbose_name=_("statement"),
    )
    target = models.ForeignKey(
        Target, on_delete=models.PROTECT, related_name="+", verbose_name=_("target")
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    demand = models.TextField(_("demand"), help_text=_("What the target must do."))
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        abstract = True
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title


class PetitionQuerySet(models.QuerySet):
    def open(self) -> "PetitionQuerySet":
        now = timezone.now()
        return self.filter(
            Q(closes_at__isnull=True) | Q(closes_at__gt=now),
            state=Petition.State.OPEN,
            opens_at__lte=now,
        )


class Petition(CallToAction):
    class State(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        DELIVERED = "delivered", _("Delivered")
        WON = "won", _("Won")

    goal = models.PositiveIntegerField(_("signature goal"), default=1000)
    opens_at = models.DateTimeField(_("opens at"), default=timezone.now)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.OPEN
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    won_at = models.DateTimeField(_("won at"), null=True, blank=True)
    sensitive = models.BooleanField(
        _("sensitive"),
        default=False,
        help_text=_(
            "Its signers may be at risk if their names leak: only superusers "
            "export its signatures, and every look at them is logged."
        ),
    )
    retention_days = models.PositiveIntegerField(
        _("keep signer data for (days)"),
        null=True,
        blank=True,
        help_text=_(
            "Days after the petition closes before its signers' names and "
            "addresses are removed (counts stay). Empty: kept."
        ),
    )

    objects = PetitionQuerySet.as_manager()

    class Meta(CallToAction.Meta):
        verbose_name = _("petition")
        verbose_name_plural = _("petitions")
        constraints = [
            models.CheckConstraint(
                condition=Q(goal__gt=0), name="petition_goal_positive"
            ),
            models.CheckConstraint(
                condition=Q(closes_at__isnull=True) | Q(closes_at__gt=F("opens_at")),
                name="petition_closes_after_opening",
                violation_error_message=_("A petition must close after it opens."),
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("actions:sign", kwargs={"slug": self.slug})

    @property
    def is_open(self) -> bool:
        now = timezone.now()
        return (
            self.state == self.State.OPEN
            and self.opens_at <= now
            and (self.closes_at is None or self.closes_at > now)
        )

    def close(self) -> bool:
        """Stop accepting signatures. False if it was not open."""
        return self._move(self.State.OPEN, self.State.CLOSED, "closed_at")

    def mark_delivered(self) -> bool:
        return self._move(self.State.CLOSED, self.State.DELIVERED, "delivered_at")

    def mark_won(self) -> bool:
        self.close()
        return self._move(self.State.DELIVERED, self.State.WON, "won_at") or (
            self._move(self.State.CLOSED, self.State.WON, "won_at")
        )

    def _move(self, source: str, target: str, stamp: str) -> bool:
        now = timezone.now()
        updated = Petition.objects.filter(pk=self.pk, state=source).update(
            state=target, **{stamp: now}
        )
        if updated:
            self.state = target
            setattr(self, stamp, now)
        return updated == 1

    def confirmed_count(self) -> int:
        """Exact confirmed count from the counter rows (a handful of rows)."""
        total = self.counters.aggregate(total=Sum("confirmed"))["total"]
        return total or 0


class PetitionCounter(models.Model):
    """One shard of a petition's confirmed count; see COUNT_SHARDS."""

    petition = models.ForeignKey(
        Petition, on_delete=models.CASCADE, related_name="counters"
    )
    shard = models.PositiveSmallIntegerField()
    confirmed = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "shard"], name="one_counter_per_shard"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.petition_id}/{self.shard}: {self.confirmed}"


class Signature(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        CONFIRMED = "confirmed", _("Confirmed")
        INVALIDATED = "invalidated", _("Invalidated")
        # Taken in, never counted or emailed: see actions.abuse.
        SUSPECT = "suspect", _("Suspect")

    class SuspectReason(models.TextChoices):
        BURST_LIMIT = "burst_limit", _("Over the short-term rate limit")
        SUSTAINED_LIMIT = "sustained_limit", _("Over the hourly rate limit")
        HONEYPOT = "honeypot", _("Filled in the hidden field")
        TOO_FAST = "too_fast", _("Form sent too fast")
        BLOCKED_ADDRESS = "blocked_address", _("Blocked address range")
        BLOCKED_DOMAIN = "blocked_domain", _("Blocked email domain")
        BLOCKED_EMAIL = "blocked_email", _("Blocked email address")

    petition = models.ForeignKey(
        Petition,
        on_delete=models.PROTECT,
        related_name="signatures",
        verbose_name=_("petition"),
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    # The address as typed, where email goes; canonical_email is what is unique.
    email = models.EmailField(_("email"))
    canonical_email = models.EmailField(_("canonical email"))
    country = CountryField(_("country"))
    wants_updates = models.BooleanField(_("wants updates"), default=False)
    consent_version = models.CharField(
        _("consent wording version"), max_length=40, blank=True
    )
    source = models.CharField(_("source"), max_length=60, blank=True)
    client_hash = models.CharField(_("client address hash"), max_length=64, blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.PENDING
    )
    created_at = models.DateTimeField(_("signed at"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    invalidated_at = models.DateTimeField(_("invalidated at"), null=True, blank=True)
    # Names, addresses and the client hash removed (erasure or retention);
    # state, times and country stay, so the counts do.
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    suspected_at = models.DateTimeField(_("suspected at"), null=True, blank=True)
    suspect_reason = models.CharField(
        _("suspect because"), max_length=20, choices=SuspectReason.choices, blank=True
    )
    emails_queued = models.PositiveSmallIntegerField(_("emails queued"), default=0)

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        indexes = [
            models.Index(fields=["petition", "state"]),
            models.Index(fields=["canonical_email"]),
            # The dashboard's signatures per day: a range scan per petition.
            models.Index(
                fields=["petition", "confirmed_at"],
                condition=Q(state="confirmed"),
                name="signature_confirmed_day",
            ),
        ]
        permissions = [
            ("export_signature", _("Can export signatures")),
            ("invalidate_signature", _("Can invalidate signatures by filter")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "canonical_email"],
                name="one_signature_per_email",
            ),
            models.CheckConstraint(
                condition=~Q(state="confirmed") | Q(confirmed_at__isnull=False),
                name="signature_confirmed_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state="invalidated") | Q(invalidated_at__isnull=False),
                name="signature_invalidated_has_time",
            ),
            # A row is either untouched or fully anonymised, never half.
            models.CheckConstraint(
                condition=Q(anonymised_at__isnull=True)
                | (
                    Q(first_name="", last_name="", client_hash="")
                    & ~Q(email__contains="@")
                    & ~Q(canonical_email__contains="@")
                ),
                name="signature_anonymised_holds_nothing",
            ),
            models.CheckConstraint(
                condition=~Q(state="suspect")
                | (Q(suspected_at__isnull=False) & ~Q(suspect_reason="")),
                name="signature_suspect_has_time_and_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.canonical_email} on {self.petition_id}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def confirm(self) -> bool:
        """Mark confirmed. False if it was not pending (safe to repeat)."""
        now = timezone.now()
        updated = Signature.objects.filter(pk=self.pk, state=self.State.PENDING).update(
            state=self.State.CONFIRMED, confirmed_at=now
        )
        if updated:
            self.state, self.confirmed_at = self.State.CONFIRMED, now
        return updated == 1

    def reserve_email(self) -> bool:
        """Count one more email for this signature; False past the cap.

        A conditional UPDATE, so concurrent re-signings cannot exceed the cap.
        """
        return (
            Signature.objects.filter(
                pk=self.pk, emails_queued__lt=settings.MAX_EMAILS_PER_SIGNATURE
            ).update(emails_queued=F("emails_queued") + 1)
            == 1
        )


class OutboundEmail(models.Model):
    """One email to send (the outbox). Workers deliver rows, never twice."""

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
        Signature,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="emails",
    )
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # When the row is next due; the sweeper re-enqueues rows overdue by a margin.
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    sending_at = models.DateTimeField(_("sending since"), null=True, blank=True)
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
                fields=["sending_at"],
                condition=Q(state="sending"),
                name="outbox_sending_since",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="sent") | Q(sent_at__isnull=False),
                name="outbound_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_email} ({self.state})"


class Suppression(models.Model):
    """An address the site must not email: it bounced hard or its owner
    reported spam, as the mail provider's signed tracking webhook said."""

    class Reason(models.TextChoices):
        BOUNCED = "bounced", _("Bounced")
        COMPLAINED = "complained", _("Complained of spam")

    canonical_email = models.EmailField(_("canonical email"))
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    provider = models.CharField(_("provider"), max_length=40)
    # The provider's id for the event: the same event posted twice adds nothing.
    event_id = models.CharField(_("event id"), max_length=200, unique=True)
    description = models.TextField(_("provider's description"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")
        constraints = [
            # Also the index behind every "is this address suppressed?" lookup.
            models.UniqueConstraint(
                fields=["canonical_email", "reason"],
                name="one_suppression_per_email_and_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.canonical_email} ({self.get_reason_display()})"


class SignatureExport(models.Model):
    """One export of signatures: who took which rows, when, and how.

    Kept after the file is gone: the record is the audit trail.
    """

    class Format(models.TextChoices):
        CSV = "csv", _("CSV")
        XLSX = "xlsx", _("Excel (XLSX)")

    class Via(models.TextChoices):
        DOWNLOAD = "download", _("admin, downloaded at once")
        BACKGROUND = "background", _("admin, built in the background")
        COMMAND = "command", _("command line")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("File deleted")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("user"),
    )
    # Kept as typed at the time, so the record survives the account.
    username = models.CharField(_("username"), max_length=150)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
    via = models.CharField(_("via"), max_length=20, choices=Via.choices)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.QUEUED
    )
    row_count = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    file = models.FileField(_("file"), upload_to="exports/", blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    expired_at = models.DateTimeField(_("file deleted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("signature export")
        verbose_name_plural = _("signature exports")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["finished_at"],
                condition=Q(state="done") & ~Q(file=""),
                name="export_files_by_age",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="done")
                | Q(finished_at__isnull=False, row_count__isnull=False),
                name="export_done_has_time_and_rows",
            ),
            models.CheckConstraint(
                condition=~Q(state="failed") | Q(failed_at__isnull=False),
                name="export_failed_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state="expired") | Q(expired_at__isnull=False),
                name="export_expired_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.format} export {self.pk} by {self.username}"

    def start(self) -> bool:
        """Mark running. False if it already finished, failed or expired."""
        return self._move(
            [self.State.QUEUED, self.State.RUNNING], self.State.RUNNING, "started_at"
        )

    def finish(self, *, row_count: int, file_name: str = "") -> bool:
        """Mark done with its row count (and file). False unless running."""
        self.row_count, self.file.name = row_count, file_name
        return self._move(
            [self.State.RUNNING],
            self.State.DONE,
            "finished_at",
            row_count=row_count,
            file=file_name,
        )

    def fail(self, error: str) -> bool:
        """Mark failed with the reason. False unless queued or running."""
        self.error = error
        return self._move(
            [self.State.QUEUED, self.State.RUNNING],
            self.State.FAILED,
            "failed_at",
            error=error,
        )

    def expire(self) -> bool:
        """Record that the file is gone. False unless it was done."""
        return self._move([self.State.DONE], self.State.EXPIRED, "expired_at")

    def _move(
        self, sources: list[str], target: str, stamp: str, **fields: object
    ) -> bool:
        now = timezone.now()
        updated = SignatureExport.objects.filter(pk=self.pk, state__in=sources).update(
            state=target, **{stamp: now}, **fields
        )
        if updated:
            self.state = target
            setattr(self, stamp, now)
        return updated == 1


# Follow-ups, abuse controls and privacy records live in their own modules;
# imported here so Django registers them.
from actions.abuse.models import (  # noqa: E402, F401
    AbuseSettings,
    BlockListEntry,
    SignatureFlag,
)
from actions.followups.models import (  # noqa: E402, F401
    FollowUp,
    FollowUpDelivery,
    Withdrawal,
)
from actions.privacy.models import (  # noqa: E402, F401
    ConsentRecord,
    ConsentWording,
    Erasure,
)
