from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PublishedQuerySet(models.QuerySet):
    def published(self, *, now: datetime | None = None) -> "PublishedQuerySet":
        """Entries the public may see: published, at or before now."""
        return self.filter(published_at__lte=now or timezone.now())


class Delivery(models.Model):
    """How and to whom a petition was handed over."""

    petition = models.OneToOneField(
        "actions.Petition", on_delete=models.CASCADE, related_name="delivery"
    )
    delivered_at = models.DateTimeField(_("delivered at"), default=timezone.now)
    to_whom = models.CharField(_("to whom"), max_length=200)
    how = models.CharField(
        _("how"), max_length=200, help_text=_("For example: “by hand, at the door”.")
    )
    # Under MEDIA_ROOT/timeline, which no URL serves: the public gets a
    # published delivery's photo through views.delivery_photo only.
    photo = models.ImageField(_("photo"), upload_to="timeline/", blank=True)
    photo_alt = models.CharField(
        _("photo's text alternative"),
        max_length=300,
        blank=True,
        help_text=_("What the photo shows, for people who cannot see it."),
    )
    published_at = models.DateTimeField(
        _("published at"),
        null=True,
        blank=True,
        help_text=_("Empty: not shown. The public sees it from this time on."),
    )

    objects = PublishedQuerySet.as_manager()

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.CheckConstraint(
                condition=Q(photo="") | ~Q(photo_alt=""),
                name="delivery_photo_has_alt",
            ),
        ]

    def __str__(self) -> str:
        return str(self.petition)


class Response(models.Model):
    """The target's answer to a delivered petition."""

    petition = models.OneToOneField(
        "actions.Petition", on_delete=models.CASCADE, related_name="response"
    )
    received_at = models.DateTimeField(
        _("received at"),
        error_messages={
            "required": _("A response needs the date it was received."),
            "null": _("A response needs the date it was received."),
        },
    )
    summary = models.TextField(_("summary"))
    full_text = models.TextField(_("full text"), blank=True)
    link = models.URLField(_("link to the full text"), blank=True)
    published_at = models.DateTimeField(
        _("published at"),
        null=True,
        blank=True,
        help_text=_("Empty: not shown. The public sees it from this time on."),
    )

    objects = PublishedQuerySet.as_manager()

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        constraints = [
            models.CheckConstraint(
                condition=~Q(full_text="") | ~Q(link=""),
                name="response_has_text_or_link",
            ),
        ]

    def __str__(self) -> str:
        return str(self.petition)


class Outcome(models.Model):
    """How the campaign ended. "Won" goes with the petition's win transition
    (its follow-ups start); "lost" and "no answer" are known only here."""

    class Result(models.TextChoices):
        WON = "won", _("Won")
        LOST = "lost", _("Lost")
        NO_ANSWER = "no_answer", _("No answer")

    petition = models.OneToOneField(
        "actions.Petition", on_delete=models.CASCADE, related_name="outcome"
    )
    result = models.CharField(_("result"), max_length=20, choices=Result.choices)
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)
    published_at = models.DateTimeField(
        _("published at"),
        null=True,
        blank=True,
        help_text=_("Empty: not shown. The public sees it from this time on."),
    )

    objects = PublishedQuerySet.as_manager()

    class Meta:
        verbose_name = _("outcome")
        verbose_name_plural = _("outcomes")

    def __str__(self) -> str:
        return f"{self.petition}: {self.get_result_display()}"
