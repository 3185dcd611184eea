"""Letter actions, their recipients and the supporters' letters.

A letter action is a Petition row of kind "letter" (LetterAction, a proxy), so
that signing, confirmation, abuse controls, consent, privacy and counts are
shared. What only letters have hangs off it: LetterSettings, CountryRecipient,
and one Letter per (signature, recipient).
"""

from typing import Any

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from actions.models import Petition, PetitionQuerySet, Signature


class LetterActionManager(models.Manager):
    def get_queryset(self) -> PetitionQuerySet:
        return PetitionQuerySet(self.model, using=self._db).filter(
            kind=Petition.Kind.LETTER
        )

    def open(self) -> PetitionQuerySet:
        return self.get_queryset().open()


class LetterAction(Petition):
    """A call to action whose supporters write a letter: a petition row of
    kind "letter", with its LetterSettings."""

    objects = LetterActionManager()  # type: ignore[misc]

    class Meta:
        proxy = True
        verbose_name = _("letter action")
        verbose_name_plural = _("letter actions")

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.kind = Petition.Kind.LETTER
        super().save(*args, **kwargs)


class Recipient(models.Model):
    """Someone letters are written to: an office, a mission, an embassy."""

    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(
        _("role"),
        max_length=200,
        blank=True,
        help_text=_("e.g. 'Permanent Representative to the United Nations'."),
    )
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    # Where the recipient is (an embassy's host country), not whom it represents.
    country = CountryField(_("country"), blank=True)
    email = models.EmailField(_("email"), unique=True)
    postal_address = models.TextField(_("postal address"), blank=True)
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Inactive recipients receive no new letters."),
    )
    created_at = models.DateTimeField(_("added at"), default=timezone.now)

    class Meta:
        ordering = ["organisation", "name"]
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})" if self.organisation else self.name


class LetterSettings(models.Model):
    class RecipientMode(models.TextChoices):
        FIXED = "fixed", _("Fixed recipients")
        BY_COUNTRY = "by_country", _("The recipient for the supporter's country")

    class DeliveryMode(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual: each letter is its own email")
        DIGEST = "digest", _("Digest: one email per recipient per day")

    action = models.OneToOneField(
        Petition,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="letter_settings",
        verbose_name=_("letter action"),
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(
        _("model letter"), help_text=_("Plain text; what supporters start from.")
    )
    is_editable = models.BooleanField(_("supporters may edit the letter"), default=True)
    min_length = models.PositiveIntegerField(
        _("shortest letter (characters)"), default=50
    )
    max_length = models.PositiveIntegerField(
        _("longest letter (characters)"),
        default=5000,
        validators=[MinValueValidator(1)],
    )
    recipient_mode = models.CharField(
        _("recipients"),
        max_length=20,
        choices=RecipientMode.choices,
        default=RecipientMode.FIXED,
    )
    recipients = models.ManyToManyField(
        Recipient,
        blank=True,
        related_name="+",
        verbose_name=_("fixed recipients"),
        help_text=_("Every letter goes to each of them (fixed recipients)."),
    )
    fallback_recipient = models.ForeignKey(
        Recipient,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("fallback recipient"),
        help_text=_(
            "By country: for a country without a recipient of its own. Empty: "
            "the action is not open to such countries."
        ),
    )
    delivery_mode = models.CharField(
        _("delivery"),
        max_length=20,
        choices=DeliveryMode.choices,
        default=DeliveryMode.INDIVIDUAL,
    )
    daily_cap = models.PositiveIntegerField(
        _("letters per recipient per day"),
        default=1000,
        help_text=_("At most this many letters (or digests' letters) a day each."),
    )
    moderation_words = models.TextField(
        _("moderation words"),
        blank=True,
        help_text=_(
            "One per line. An edited letter holding one of them waits for moderation."
        ),
    )
    max_links = models.PositiveSmallIntegerField(
        _("most links"),
        default=2,
        help_text=_("An edited letter with more links waits for moderation."),
    )

    class Meta:
        verbose_name = _("letter settings")
        verbose_name_plural = _("letter settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(max_length__gt=0) & Q(min_length__lte=F("max_length")),
                name="letter_lengths_in_order",
                violation_error_message=_(
                    "The shortest letter must not be longer than the longest."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def words(self) -> list[str]:
        """The moderation words, folded for matching."""
        return [w.strip().casefold() for w in self.moderation_words.splitlines()]


class CountryRecipient(models.Model):
    """By country: the recipient of the letters of supporters in a country."""

    action = models.ForeignKey(
        Petition,
        on_delete=models.CASCADE,
        related_name="country_recipients",
        verbose_name=_("letter action"),
    )
    country = CountryField(_("supporter's country"))
    recipient = models.ForeignKey(
        Recipient,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recipient"),
    )

    class Meta:
        verbose_name = _("recipient by country")
        verbose_name_plural = _("recipients by country")
        constraints = [
            models.UniqueConstraint(
                fields=["action", "country"], name="one_recipient_per_country"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.country}: {self.recipient}"


class LetterQuerySet(models.QuerySet):
    def counted(self) -> "LetterQuerySet":
        """Letters the public count shows: confirmed, not held nor rejected
        (a letter a worker is sending counts, as it did queued)."""
        return self.filter(
            delivery_state__in=[
                Letter.Delivery.QUEUED,
                Letter.Delivery.SENDING,
                Letter.Delivery.SENT,
            ]
        )

    def held(self) -> "LetterQuerySet":
        return self.filter(moderation_state=Letter.Moderation.HELD)


class Letter(models.Model):
    """One supporter's letter to one recipient: one row per (signature,
    recipient), so that each row is delivered once, by its own state."""

    class Moderation(models.TextChoices):
        NOT_NEEDED = "not_needed", _("Not needed")
        HELD = "held", _("Held")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    class Delivery(models.TextChoices):
        # Until its signature is confirmed and, if held, approved.
        WAITING = "waiting", _("Waiting")
        QUEUED = "queued", _("Queued")
        # Claimed by a bulk worker (individual mode); the sweep puts it back
        # if that worker dies.
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        REJECTED = "rejected", _("Rejected (never sent)")

    signature = models.ForeignKey(
        Signature,
        on_delete=models.CASCADE,
        related_name="letters",
        verbose_name=_("signature"),
    )
    # The signature's petition, kept here for counts and the dashboard.
    action = models.ForeignKey(
        Petition,
        on_delete=models.PROTECT,
        related_name="letters",
        verbose_name=_("letter action"),
    )
    recipient = models.ForeignKey(
        Recipient,
        on_delete=models.PROTECT,
        related_name="letters",
        verbose_name=_("recipient"),
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("letter"))
    postal_town = models.CharField(_("postal town"), max_length=100, blank=True)
    is_edited = models.BooleanField(_("edited"), default=False)
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    moderation_state = models.CharField(
        _("moderation"),
        max_length=20,
        choices=Moderation.choices,
        default=Moderation.NOT_NEEDED,
    )
    held_at = models.DateTimeField(_("held at"), null=True, blank=True)
    held_because = models.CharField(_("held because"), max_length=200, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("rejected at"), null=True, blank=True)
    delivery_state = models.CharField(
        _("delivery"),
        max_length=20,
        choices=Delivery.choices,
        default=Delivery.WAITING,
    )
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    # After a refusal for now (4xx), not sent again before this time.
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    sending_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    failure = models.CharField(_("failure"), max_length=300, blank=True)
    # The claim's fencing token: a worker marks the letter sent only if no
    # later claim took it (see actions.core.bulk.marks).
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # Digest mode: the recipient's day's email this letter goes in.
    digest = models.ForeignKey(
        "letters.LetterDigest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="letters",
        verbose_name=_("digest"),
    )

    objects = LetterQuerySet.as_manager()

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        permissions = [("moderate_letter", _("Can approve or reject held letters"))]
        indexes = [
            models.Index(fields=["action", "delivery_state"]),
            # Delivery: a recipient's queued letters, by day.
            models.Index(fields=["recipient", "delivery_state", "queued_at"]),
            models.Index(
                fields=["held_at"],
                condition=Q(moderation_state="held"),
                name="letter_held_queue",
            ),
            # Delivery: claims take a recipient's queued letters in order.
            models.Index(
                fields=["action", "recipient", "id"],
                condition=Q(delivery_state="queued"),
                name="letter_delivery_queue",
            ),
            # The sweep: claims of workers that died.
            models.Index(
                fields=["sending_at"],
                condition=Q(delivery_state="sending"),
                name="letter_sending",
            ),
            # The daily cap: what a recipient was sent today.
            models.Index(
                fields=["action", "recipient", "sent_at"],
                condition=Q(delivery_state="sent"),
                name="letter_sent_by_day",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["signature", "recipient"], name="one_letter_per_recipient"
            ),
            models.CheckConstraint(
                condition=~Q(moderation_state="held") | Q(held_at__isnull=False),
                name="letter_held_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(moderation_state="approved")
                | Q(approved_at__isnull=False),
                name="letter_approved_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(moderation_state="rejected")
                | Q(rejected_at__isnull=False),
                name="letter_rejected_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(delivery_state="queued") | Q(queued_at__isnull=False),
                name="letter_queued_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(delivery_state="sending") | Q(sending_at__isnull=False),
                name="letter_sending_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(delivery_state="sent") | Q(sent_at__isnull=False),
                name="letter_sent_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(delivery_state="failed") | Q(failed_at__isnull=False),
                name="letter_failed_has_time",
            ),
            # Only a moderator's rejection stops a letter for good.
            models.CheckConstraint(
                condition=~Q(delivery_state="rejected")
                | Q(moderation_state="rejected"),
                name="letter_rejected_by_moderation",
            ),
            # A held or rejected letter is never queued nor sent.
            models.CheckConstraint(
                condition=Q(delivery_state__in=["waiting", "rejected"])
                | Q(moderation_state__in=["not_needed", "approved"]),
                name="letter_leaves_only_unheld",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} to {self.recipient_id}"


class LetterDigest(models.Model):
    """Digest mode: one email to a recipient for a day, holding that day's
    count and every letter in it (its letters point here). Delivered at most
    once, fenced by its claim like a letter."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    action = models.ForeignKey(
        Petition,
        on_delete=models.PROTECT,
        related_name="letter_digests",
        verbose_name=_("letter action"),
    )
    recipient = models.ForeignKey(
        Recipient,
        on_delete=models.PROTECT,
        related_name="digests",
        verbose_name=_("recipient"),
    )
    day = models.DateField(_("day"))
    letter_count = models.PositiveIntegerField(_("letters"), default=0)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.QUEUED
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("made at"), default=timezone.now)
    sending_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    failure = models.CharField(_("failure"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("letter digest")
        verbose_name_plural = _("letter digests")
        indexes = [
            models.Index(
                fields=["sending_at"],
                condition=Q(state="sending"),
                name="letter_digest_sending",
            ),
            models.Index(
                fields=["id"],
                condition=Q(state="queued"),
                name="letter_digest_queued",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["action", "recipient", "day"],
                name="one_letter_digest_per_day",
            ),
            models.CheckConstraint(
                condition=~Q(state="sending") | Q(sending_at__isnull=False),
                name="letter_digest_sending_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state="sent") | Q(sent_at__isnull=False),
                name="letter_digest_sent_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state="failed") | Q(failed_at__isnull=False),
                name="letter_digest_failed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day}: {self.letter_count} to {self.recipient_id}"
