"""Atom feeds of published statements: all of them, and a topic's. They live
under the language prefix (/fr/feeds/statements.atom), so each language's feed
has that language's titles and links."""

from datetime import datetime

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from statements.models import Statement, StatementQuerySet, Topic

ENTRIES = 30


class StatementFeed(Feed):
    feed_type = Atom1Feed

    def title(self) -> str:
        return _("%(site)s: statements") % {"site": settings.SITE_NAME}

    def subtitle(self) -> str:
        return _("Statements and calls to action for human rights.")

    def link(self) -> str:
        return reverse("statements:home")

    def feed_url(self) -> str:
        return reverse("statements:feed")

    def author_name(self) -> str:
        return settings.SITE_NAME

    def items(self) -> StatementQuerySet:
        return _newest(Statement.objects.published())

    def item_title(self, item: Statement) -> str:
        return item.title

    def item_description(self, item: Statement) -> str:
        return item.standfirst

    def item_pubdate(self, item: Statement) -> datetime | None:
        return item.publish_at

    def item_updateddate(self, item: Statement) -> datetime:
        return item.updated_at

    def item_author_name(self, item: Statement) -> str:
        return settings.SITE_NAME

    def item_categories(self, item: Statement) -> list[str]:
        return [topic.name for topic in item.topics.all()]


class TopicFeed(StatementFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Topic:
        return get_object_or_404(Topic, slug=slug)

    def title(self, obj: Topic) -> str:  # type: ignore[override]
        return _("%(site)s: %(topic)s") % {"site": settings.SITE_NAME, "topic": obj}

    def link(self, obj: Topic) -> str:  # type: ignore[override]
        return obj.get_absolute_url()

    def feed_url(self, obj: Topic) -> str:  # type: ignore[override]
        return reverse("statements:topic_feed", kwargs={"slug": obj.slug})

    def items(self, obj: Topic) -> StatementQuerySet:  # type: ignore[override]
        return _newest(Statement.objects.published().filter(topics=obj))


def _newest(statements: StatementQuerySet) -> StatementQuerySet:
    return statements.order_by("-publish_at", "-pk").prefetch_related("topics")[
        :ENTRIES
    ]
