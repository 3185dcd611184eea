"""A petition's confirmed count: sharded counter rows, read through a cache.

A confirmation adds 1 to one of COUNT_SHARDS counter rows of its petition (an
upsert), so confirmations never queue on one hot row; pages read the sum from
the cache, at most COUNT_CACHE_SECONDS old, so a page view never counts.
"""

import logging
import random
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction

from actions.models import COUNT_SHARDS, PetitionCounter

logger = logging.getLogger(__name__)


def add_to_count(*, petition_id: int, delta: int) -> None:
    """Add delta to a petition's confirmed count; call inside the transaction
    that changes the signatures it counts."""
    # An upsert on a random shard: no hot row, and shards appear as needed.
    table = connection.ops.quote_name(PetitionCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (petition_id, shard, confirmed) VALUES (%s, %s, %s) "
            f"ON CONFLICT (petition_id, shard) "
            f"DO UPDATE SET confirmed = {table}.confirmed + EXCLUDED.confirmed",
            [petition_id, random.randrange(COUNT_SHARDS), delta],
        )


def forget_count(*, petition_id: int) -> None:
    """Drop the cached count once the transaction that changed it commits."""
    key = _count_key(petition_id)
    transaction.on_commit(lambda: cache.delete(key), robust=True)


def _count_key(petition_id: int) -> str:
    return f"petition-count:{petition_id}"


def confirmed_counts(petition_ids: Iterable[int]) -> dict[int, int]:
    """Confirmed counts, at most COUNT_CACHE_SECONDS old, for these petitions."""
    petition_ids = list(petition_ids)
    keys = {_count_key(pk): pk for pk in petition_ids}
    try:
        cached = cache.get_many(keys)
    except Exception:  # a cache outage must not take the page down
        cached = {}
    counts = {keys[key]: value for key, value in cached.items()}
    missing = [pk for pk in petition_ids if pk not in counts]
    if missing:
        fresh = dict.fromkeys(missing, 0)
        rows = PetitionCounter.objects.filter(petition_id__in=missing)
        for petition_id, confirmed in rows.values_list("petition_id", "confirmed"):
            fresh[petition_id] += confirmed
        counts.update(fresh)
        try:
            cache.set_many(
                {_count_key(pk): n for pk, n in fresh.items()},
                settings.COUNT_CACHE_SECONDS,
            )
        except Exception:
            logger.warning("Count cache unavailable")
    return counts


# The code of the row that stands for the countries too small to name (not
# "", the code of signers who gave no country).
OTHER_COUNTRIES = "other"


def country_counts_to_show(
    rows: list[tuple[str, int]], *, sensitive: bool
) -> list[tuple[str, int]]:
    """(country code, count) rows as they may be shown outside the
    organisation. For a sensitive petition, a country with fewer than
    PUBLIC_COUNTRY_COUNT_MIN signatures is not named: those are added up in
    one last row, OTHER_COUNTRIES, so that a small count cannot point at a
    person. The total stays the same."""
    if not sensitive:
        return rows
    minimum = settings.PUBLIC_COUNTRY_COUNT_MIN
    shown = [(code, n) for code, n in rows if n >= minimum]
    others = sum(n for _code, n in rows if n < minimum)
    return [*shown, (OTHER_COUNTRIES, others)] if others else shown
