"""Exports on PostgreSQL: the CSV straight from COPY, the XLSX through a
server-side cursor, the command, and a background export built by the real
Celery worker; each parsed back and compared with the rows in the database."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from actions.exports import services
from actions.exports.models import SignatureExport
from actions.exports.tasks import build_signature_export
from actions.exports.tests.expected import (
    HEADERS,
    expected_csv_rows,
    expected_xlsx_rows,
    read_csv,
    read_xlsx,
)
from actions.exports.writers import write_xlsx
from actions.models import Signature
from actions.tests.factories import make_petition, make_staff
from actions.tests.integration.stack import wait_until
from campaign.celery import app as celery_app
from staff.tests.otp import log_in_verified

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROWS = 3000
NAMES = ["Ada", '=HYPERLINK("x")', "+44", "-1", "@A1", "\tTab", 'Say "hi", ok', "សុខ"]


def _seed(petition, rows: int = ROWS) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    Signature.objects.bulk_create(
        Signature(
            petition=petition,
            first_name=NAMES[n % len(NAMES)],
            last_name=f"Signer {n}",
            email=f"signer{n}@example.org",
            canonical_email=f"signer{n}@example.org",
            country=["KH", "MM", "TH"][n % 3],
            wants_updates=n % 2 == 0,
            consent_version="v1" if n % 2 == 0 else "",
            source=["", "newsletter", "-x"][n % 3],
            state="confirmed" if n % 5 else "pending",
            created_at=start + timedelta(seconds=n, microseconds=n),
            confirmed_at=start + timedelta(seconds=n + 60) if n % 5 else None,
        )
        for n in range(rows)
    )


@pytest.fixture
def exporter(db):
    return make_staff("rita", roles=("Reports",))


def test_csv_from_copy_and_xlsx_parse_back_to_the_database_rows(exporter):
    assert connection.vendor == "postgresql"
    petition = make_petition()
    _seed(petition)
    export = services.start_export(
        user=exporter, filters={}, format="csv", via="download"
    )

    header, rows = read_csv(b"".join(services.stream_csv(export)))
    sheet = io.BytesIO()
    write_xlsx(Signature.objects.all(), sheet)

    assert header == HEADERS
    assert len(rows) == ROWS
    assert rows == expected_csv_rows(Signature.objects.all())
    export.refresh_from_db()
    assert (export.state, export.row_count) == ("done", ROWS)
    assert read_xlsx(io.BytesIO(sheet.getvalue()))[1] == expected_xlsx_rows(
        Signature.objects.all()
    )


def test_the_command_exports_the_filtered_rows(exporter, tmp_path):
    petition = make_petition()
    _seed(petition)
    output = tmp_path / "out.csv"

    call_command(
        "export_signatures",
        "--user=rita",
        "--format=csv",
        f"--output={output}",
        f"--petition={petition.slug}",
        "--state=confirmed",
        "--confirmed-from=2026-01-01",
        "--confirmed-to=2026-01-01",
        "--country=MM",
        stdout=io.StringIO(),
    )

    expected = Signature.objects.filter(state="confirmed", country="MM")
    assert read_csv(output.read_bytes())[1] == expected_csv_rows(expected)
    assert SignatureExport.objects.get().row_count == expected.count() > 0


def test_a_download_dropped_mid_copy_leaves_the_connection_usable(exporter):
    _seed(make_petition())
    export = services.start_export(
        user=exporter, filters={}, format="csv", via="download"
    )

    stream = services.stream_csv(export)
    next(stream)
    next(stream)
    stream.close()

    assert Signature.objects.count() == ROWS
    export.refresh_from_db()
    assert export.state == SignatureExport.State.FAILED


def test_a_background_export_is_built_by_the_worker(stack, exporter):
    _seed(make_petition(), rows=500)
    export = SignatureExport.objects.create(
        user=exporter, username="rita", format="csv", via="background"
    )

    # Published to the stack's broker, as the web process would.
    with celery_app.connection_for_write(stack.redis_url) as broker:
        build_signature_export.apply_async((export.pk,), connection=broker)
    wait_until(
        lambda: SignatureExport.objects.get(pk=export.pk).state == "done",
        timeout=60,
        message=lambda: "the export to be built\n" + stack.logs(),
    )

    export.refresh_from_db()
    client = Client()
    log_in_verified(client, exporter)
    token = services.download_token(export, user=exporter)
    try:
        response = client.get(
            reverse("admin:exports_signatureexport_download", args=[token])
        )
        data = b"".join(response.streaming_content)
        response.close()
    finally:
        default_storage.delete(export.file.name)
    assert export.row_count == 500
    assert read_csv(data)[1] == expected_csv_rows(Signature.objects.all())


def test_the_csv_timestamps_do_not_depend_on_the_sessions_date_style(exporter):
    _seed(make_petition(), rows=10)
    with connection.cursor() as cursor:
        cursor.execute("SET DateStyle TO 'SQL, DMY'")
    try:
        export = services.start_export(
            user=exporter, filters={}, format="csv", via="download"
        )
        rows = read_csv(b"".join(services.stream_csv(export)))[1]
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET DateStyle")

    assert rows == expected_csv_rows(Signature.objects.all())
    assert rows[0][7] == "2026-01-01 00:00:00"
