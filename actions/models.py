from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Sum, Value
from django.db.models.functions import Coalesce, Least
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from actions.core.origins import validate_origins

# Confirmations spread over this many counter rows per petition, so that a
# viral petition's confirmations do not queue on one row lock.
COUNT_SHARDS = 16
_WHEN = models.DateTimeField()


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
    def open(self, *, now: datetime | None = None) -> "PetitionQuerySet":
        """Petitions taking signatures at ``now`` (this instant by default):
        the one definition of "open", which the signing statement compiles
        (actions.insert).

        A scheduled petition takes signatures from its opening time on, and an
        open one until its closing time: the times decide to the second. The
        beat job (actions.lifecycle) only moves the states after them.
        """
        now = now or timezone.now()
        return self.filter(
            Q(closes_at__isnull=True) | Q(closes_at__gt=now),
            state__in=[Petition.State.SCHEDULED, Petition.State.OPEN],
            opens_at__lte=now,
        )


class Petition(CallToAction):
    class Kind(models.TextChoices):
        # A letter action (actions.letters) shares this table, so that
        # signing, confirmation, abuse controls, consent, privacy, exports and
        # counts serve both kinds; its supporters' letters are rows of their own.
        PETITION = "petition", _("Petition")
        LETTER = "letter", _("Letter action")

    class State(models.TextChoices):
        # Until opens_at; see PetitionQuerySet.open().
        SCHEDULED = "scheduled", _("Scheduled")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        DELIVERED = "delivered", _("Delivered")
        WON = "won", _("Won")

    class NameFields(models.TextChoices):
        # Many names (most Burmese ones, for one) have no family name, and
        # some people write theirs in one piece: either way, one name is enough.
        GIVEN_AND_FAMILY = (
            "given_family",
            _("Given name and family name (the family name optional)"),
        )
        FULL = "full", _("Full name, in one field")

    kind = models.CharField(
        _("kind"),
        max_length=10,
        choices=Kind.choices,
        default=Kind.PETITION,
        editable=False,
        db_index=True,
    )
    goal = models.PositiveIntegerField(_("signature goal"), default=1000)
    opens_at = models.DateTimeField(_("opens at"), default=timezone.now)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.OPEN
    )
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
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
    name_fields = models.CharField(
        _("name fields"),
        max_length=20,
        choices=NameFields.choices,
        default=NameFields.GIVEN_AND_FAMILY,
        help_text=_(
            "What the signing form asks for. A sensitive petition asks for one "
            "optional name whatever this says."
        ),
    )
    country_required = models.BooleanField(
        _("country required"),
        default=True,
        help_text=_("Off: signers may leave their country out."),
    )
    names_to_target = models.BooleanField(
        _("names go to the target"),
        default=True,
        help_text=_(
            "The form tells signers whether their names are handed to the "
            "target. Off: the target gets the number of signatures only, and "
            "delivery packs carry no names. A letter always carries its "
            "writer's name."
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

    # Partners' sites that may show its signing form in a frame (actions.embed).
    embed_origins = models.TextField(
        _("sites that may embed it"),
        blank=True,
        validators=[validate_origins],
        help_text=_(
            "One site per line, like https://partner.example: the sites whose "
            "pages may show its signing form. Empty: none (unless any site may)."
        ),
    )
    embed_anywhere = models.BooleanField(
        _("any site may embed it"),
        default=False,
        help_text=_("Let any site show its signing form, not only those listed."),
    )

    # The version of the text a signature records, loaded with the petition
    # the signing view keeps (actions.revisions).
    current_revision = models.ForeignKey(
        "revisions.Revision",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("current version"),
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
    def is_letter(self) -> bool:
        return self.kind == self.Kind.LETTER

    @property
    def names_may_leave(self) -> bool:
        """Whether signers' names may be handed to the target (the form says
        so): never a sensitive petition's."""
        return self.names_to_target and not self.sensitive

    @property
    def is_open(self) -> bool:
        """Whether it takes signatures now; see PetitionQuerySet.open()."""
        now = timezone.now()
        return (
            self.state in {self.State.SCHEDULED, self.State.OPEN}
            and self.opens_at <= now
            and (self.closes_at is None or self.closes_at > now)
        )

    @property
    def opens_later(self) -> bool:
        """Whether it has not opened yet and will at opens_at."""
        is_before = self.state in {self.State.SCHEDULED, self.State.OPEN}
        return is_before and self.opens_at > timezone.now()

    def open(self, *, at: datetime | None = None) -> bool:
        """Open a scheduled petition at ``at`` (now), moving its opening time
        forward to it if later. False if it was not scheduled or its closing
        time has passed."""
        at = at or timezone.now()
        return self.move(
            sources=[self.State.SCHEDULED],
            target=self.State.OPEN,
            stamps=["opened_at"],
            at=at,
            only_if=Q(closes_at__isnull=True) | Q(closes_at__gt=at),
            updates={"opens_at": Least(F("opens_at"), Value(at, output_field=_WHEN))},
        )

    def close(self, *, at: datetime | None = None) -> bool:
        """Stop accepting signatures. False if it was not scheduled or open."""
        return self.move(
            sources=[self.State.SCHEDULED, self.State.OPEN],
            target=self.State.CLOSED,
            stamps=["closed_at"],
            at=at,
        )

    def mark_delivered(self, *, at: datetime | None = None) -> bool:
        """Closed to delivered. False if it was not closed."""
        return self.move(
            sources=[self.State.CLOSED],
            target=self.State.DELIVERED,
            stamps=["delivered_at"],
            at=at,
        )

    def mark_won(self, *, at: datetime | None = None) -> bool:
        """Won from open (closing it too), closed or delivered. False if not."""
        return self.move(
            sources=[self.State.OPEN, self.State.CLOSED, self.State.DELIVERED],
            target=self.State.WON,
            stamps=["closed_at", "won_at"],
            at=at,
        )

    def move(
        self,
        *,
        sources: list[str],
        target: str,
        stamps: list[str],
        at: datetime | None = None,
        only_if: Q | None = None,
        updates: dict[str, Any] | None = None,
    ) -> bool:
        """Move from one of ``sources`` to ``target`` in one conditional UPDATE,
        stamping the empty ones of ``stamps`` with ``at`` (now): of two
        concurrent moves, one wins. False if the row was in another state."""
        at = at or timezone.now()
        stamped = {
            stamp: Coalesce(F(stamp), Value(at, output_field=_WHEN)) for stamp in stamps
        }
        rows = Petition.objects.filter(only_if or Q(), pk=self.pk, state__in=sources)
        updated = rows.update(state=target, **stamped, **(updates or {}))
        if updated:
            self.refresh_from_db(fields=["state", *stamps, *(updates or {})])
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
    # A name given in one piece (one name, or a full name: see
    # Petition.NameFields) is kept here, with last_name empty.
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    # The address as typed, where email goes; canonical_email is what is unique.
    email = models.EmailField(_("email"))
    canonical_email = models.EmailField(_("canonical email"))
    # Empty when the petition does not ask for it (Petition.country_required).
    country = CountryField(_("country"), blank=True)
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
    # The language of the page signed on: its emails and follow-ups go in it.
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )
    # The version of the text signed; empty for signatures before versions.
    revision = models.ForeignKey(
        "revisions.Revision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signatures",
        verbose_name=_("version signed"),
    )

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
