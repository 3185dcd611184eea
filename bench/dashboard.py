"""Time the petition dashboard's queries on a petition with many signatures.

    DATABASE_URL=postgres://... .venv/bin/python bench/dashboard.py [signatures]

PostgreSQL only (the signatures are generated in SQL). Creates, once, a
petition "bench-dashboard" with that many signatures (default 1,000,000; one
in ten pending, the rest confirmed over the last 120 days, 25 countries, 6
sources), migrating the database first; then prints the time and query count
of three dashboard computations. Use a database of your own: it adds rows.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campaign.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from actions.counts import add_to_count  # noqa: E402
from actions.dashboard.services import petition_dashboard  # noqa: E402
from actions.models import Petition, Target  # noqa: E402
from statements.models import Statement  # noqa: E402

SLUG = "bench-dashboard"
COUNTRIES = "KH MM TH FR DE GB US AU JP ID MY PH VN SG IN BR CL KE ZA NG SE NO CA IT ES"
SOURCES = ["newsletter", "twitter", "", "partner", "facebook", "sms"]

SEED = """
INSERT INTO actions_signature (petition_id, first_name, last_name, email,
    canonical_email, country, wants_updates, consent_version, source, client_hash,
    suspect_reason, state, created_at, confirmed_at, emails_queued)
SELECT %(petition)s, 'Bench', n::text, 'bench' || n || '@example.net',
    'bench' || n || '@example.net',
    (%(countries)s::text[])[1 + (n::bigint * 7919) %% 25], false, '',
    (%(sources)s::text[])[1 + n %% 6], '', '',
    CASE WHEN n %% 10 = 0 THEN 'pending' ELSE 'confirmed' END,
    now() - (n %% 120) * interval '1 day',
    CASE WHEN n %% 10 = 0 THEN NULL ELSE now() - (n %% 120) * interval '1 day' END,
    1
FROM generate_series(1, %(count)s) AS n
"""


@transaction.atomic
def seed(count: int) -> Petition:
    """The bench petition, with ``count`` signatures the first time."""
    petition = Petition.objects.filter(slug=SLUG).first()
    if petition:
        return petition
    statement = Statement.objects.create(title="Bench dashboard", slug=SLUG)
    target = Target.objects.get_or_create(name="Bench target")[0]
    petition = Petition.objects.create(
        statement=statement, target=target, title="Bench", slug=SLUG, demand="-"
    )
    params = {
        "petition": petition.pk,
        "countries": COUNTRIES.split(),
        "sources": SOURCES,
        "count": count,
    }
    with connection.cursor() as cursor:
        cursor.execute(SEED, params)
    add_to_count(petition_id=petition.pk, delta=count - count // 10)
    return petition


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database of your own.")
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    call_command("migrate", verbosity=0)
    petition = seed(count)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE actions_signature")
    for run in range(3):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            figures = petition_dashboard(petition=petition)
            elapsed = (time.perf_counter() - start) * 1000
        print(
            f"run {run + 1}: {elapsed:.0f} ms in {len(queries)} queries "
            f"({figures.confirmed:,} confirmed, {figures.pending:,} pending)"
        )
    for query in queries:
        print(f"  {float(query['time']) * 1000:6.0f} ms  {query['sql'][:90]}")


if __name__ == "__main__":
    main()
