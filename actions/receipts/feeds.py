"""The Atom feed of published daily roots."""

from datetime import datetime

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from actions.receipts.models import DailyRoot


class DailyRootFeed(Feed):
    feed_type = Atom1Feed
    title = _("Daily roots of confirmed signatures")
    subtitle = _(
        "Each day's confirmed signatures, committed to one Merkle root. "
        "A signer's receipt leads to the root of their day."
    )

    def link(self) -> str:
        return reverse("actions:receipt_roots")

    def items(self) -> list[DailyRoot]:
        return list(DailyRoot.objects.defer("chunk_roots")[:60])

    def item_title(self, item: DailyRoot) -> str:
        return str(
            _("Root for %(day)s: %(size)s signatures")
            % {"day": item.day.isoformat(), "size": item.size}
        )

    def item_description(self, item: DailyRoot) -> str:
        return item.root

    def item_link(self, item: DailyRoot) -> str:
        return f"{reverse('actions:receipt_roots')}#day-{item.day.isoformat()}"

    def item_pubdate(self, item: DailyRoot) -> datetime:
        return item.committed_at

    def item_updateddate(self, item: DailyRoot) -> datetime:
        return item.committed_at
