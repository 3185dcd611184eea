from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Topic(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        COUNTRY = "country", _("Country")
        ORGANISATION = "organisation", _("Organisation")
        THEME = "theme", _("Theme")

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)

    class Meta:
        ordering = ["name"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("statements:topic_detail", kwargs={"slug": self.slug})


class StatementQuerySet(models.QuerySet):
    def published(self) -> "StatementQuerySet":
        """Public statements: published, or scheduled and due, and not archived.

        Scheduled statements appear at their time by this filter alone; the
        beat job that flips their state only keeps the admin tidy.
        """
        return self.filter(
            state__in=[Statement.State.SCHEDULED, Statement.State.PUBLISHED],
            publish_at__lte=timezone.now(),
        )

    def visible(self) -> "StatementQuerySet":
        """Statements whose page can be opened: public ones and archived ones."""
        return self.published() | self.filter(state=Statement.State.ARCHIVED)


class Statement(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    standfirst = models.TextField(
        _("standfirst"), max_length=600, help_text=_("One or two sentences.")
    )
    body = models.TextField(_("body"), help_text=_("Markdown."))
    background = models.TextField(_("background"), blank=True, help_text=_("Markdown."))
    topics = models.ManyToManyField(
        Topic, blank=True, related_name="statements", verbose_name=_("topics")
    )
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.DRAFT
    )
    publish_at = models.DateTimeField(
        _("publish at"),
        null=True,
        blank=True,
        help_text=_("When the statement goes public. Required unless a draft."),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = StatementQuerySet.as_manager()

    class Meta:
        ordering = ["-publish_at"]
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        indexes = [models.Index(fields=["state", "-publish_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="draft") | Q(publish_at__isnull=False),
                name="statement_public_has_publish_at",
                violation_error_message=_(
                    "Set a publish time for a scheduled or published statement."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("statements:statement_detail", kwargs={"slug": self.slug})

    @property
    def is_public(self) -> bool:
        return (
            self.state in {self.State.PUBLISHED, self.State.SCHEDULED}
            and self.publish_at is not None
            and self.publish_at <= timezone.now()
        )

    @property
    def is_scheduled_for_later(self) -> bool:
        """Scheduled, its publish time still ahead."""
        return (
            self.state == self.State.SCHEDULED
            and self.publish_at is not None
            and self.publish_at > timezone.now()
        )

    @property
    def is_visible(self) -> bool:
        """Whether the page can be opened; see StatementQuerySet.visible()."""
        return self.is_public or self.state == self.State.ARCHIVED

    def is_written_in(self, language: str) -> bool:
        """Whether its title and body are written in this language; if not,
        the page shows them in the original and says so (fallback)."""
        return bool(
            getattr(self, f"title_{language}", None)
            and getattr(self, f"body_{language}", None)
        )

    @property
    def pull_quote(self) -> "Quote | None":
        return next((q for q in self.quotes.all() if q.is_pull_quote), None)

    def publish(self) -> bool:
        """Publish now, or at publish_at if it is in the future. False if public."""
        now = timezone.now()
        if self.is_public:
            return False
        self.publish_at = self.publish_at if self.publish_at else now
        self.state = (
            self.State.SCHEDULED if self.publish_at > now else self.State.PUBLISHED
        )
        is_published = self.state == self.State.PUBLISHED
        self.published_at = self.publish_at if is_published else None
        self.save(update_fields=["state", "publish_at", "published_at", "updated_at"])
        return True

    def settle_publication(self) -> None:
        """Make the state agree with the publish time as a campaigner set them
        in the form (not saved): published at a future time is scheduled,
        scheduled at a past time is published, and a published statement has
        its published_at."""
        publish_at, now = self.publish_at, timezone.now()
        if publish_at is None:
            return  # a draft; a public statement without one fails its constraint
        if self.state == self.State.PUBLISHED and publish_at > now:
            self.state, self.published_at = self.State.SCHEDULED, None
        elif self.state == self.State.SCHEDULED and publish_at <= now:
            self.state = self.State.PUBLISHED
        if self.state == self.State.PUBLISHED and self.published_at is None:
            self.published_at = publish_at

    def archive(self) -> None:
        self.state = self.State.ARCHIVED
        self.archived_at = timezone.now()
        self.save(update_fields=["state", "archived_at", "updated_at"])


class Quote(models.Model):
    statement = models.ForeignKey(
        Statement, on_delete=models.CASCADE, related_name="quotes"
    )
    speaker = models.CharField(_("speaker"), max_length=200)
    role = models.CharField(_("role"), max_length=300, blank=True)
    text = models.TextField(_("text"))
    is_pull_quote = models.BooleanField(
        _("pull quote"), default=False, help_text=_("Shown large, once per statement.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        constraints = [
            models.UniqueConstraint(
                fields=["statement"],
                condition=Q(is_pull_quote=True),
                name="one_pull_quote_per_statement",
                violation_error_message=_("A statement has at most one pull quote."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.speaker}: {self.text[:60]}"
