"""sitemap.xml: the home page, published statements and their topics, each
in every language with its alternates (hreflang), the original as x-default."""

from datetime import datetime

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from statements.models import Statement, StatementQuerySet, Topic


class _InEveryLanguage(Sitemap):
    i18n = True
    alternates = True
    x_default = True


class HomeSitemap(_InEveryLanguage):
    changefreq = "daily"

    def items(self) -> list[str]:
        return ["statements:home"]

    def location(self, item: str) -> str:
        return reverse(item)


class StatementSitemap(_InEveryLanguage):
    def items(self) -> StatementQuerySet:
        return Statement.objects.published().order_by("-publish_at", "pk")

    def lastmod(self, item: Statement) -> datetime:
        return item.updated_at


class TopicSitemap(_InEveryLanguage):
    def items(self) -> list[Topic]:
        public = Statement.objects.published()
        return list(Topic.objects.filter(statements__in=public).distinct())


SITEMAPS: dict[str, type[Sitemap] | Sitemap] = {
    "home": HomeSitemap,
    "statements": StatementSitemap,
    "topics": TopicSitemap,
}
