import io

import pytest
from django.urls import reverse

from actions.exports import services
from actions.exports.models import SignatureExport
from actions.exports.tests.expected import (
    HEADERS,
    expected_csv_rows,
    expected_xlsx_rows,
    read_csv,
    read_xlsx,
)
from actions.models import Signature
from actions.tests.factories import make_petition, make_signature, make_staff
from staff.tests.otp import log_in_verified

pytestmark = pytest.mark.django_db

EXPORT = reverse("admin:actions_signature_export")
SIGNATURES = reverse("admin:actions_signature_changelist")
EXPORTS = reverse("admin:exports_signatureexport_changelist")


@pytest.fixture
def rita(client, reports_user):
    log_in_verified(client, reports_user)
    return client


def _download(response) -> bytes:
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_the_signature_list_offers_the_export_to_exporters(rita, campaigner):
    page = rita.get(SIGNATURES, {"state__exact": "confirmed"})

    assert f'href="{EXPORT}?state__exact=confirmed"' in page.content.decode()


def test_the_export_form_starts_from_the_lists_filters(rita, petition):
    page = rita.get(
        EXPORT,
        {
            "petition__id__exact": petition.pk,
            "state__exact": "confirmed",
            "country__exact": "MM",
            "wants_updates__exact": "1",
        },
    )

    form = page.context["form"]
    assert form["petition"].value() == petition.slug
    assert form["state"].value() == "confirmed"
    assert form["country"].value() == "MM"
    assert form["consent"].value() == "yes"


def test_a_mangled_list_filter_is_ignored(rita):
    page = rita.get(EXPORT, {"petition__id__exact": "x'1", "state__exact": "x"})

    assert page.status_code == 200
    assert page.context["form"]["petition"].value() is None


def test_a_csv_export_streams_the_filtered_rows(rita, statement):
    first, second = make_petition(statement), make_petition(statement)
    mine = make_signature(first, state="confirmed", first_name="=1+1")
    make_signature(first)
    make_signature(second, state="confirmed")

    response = rita.post(
        EXPORT, {"format": "csv", "petition": first.slug, "state": "confirmed"}
    )

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert "no-store" in response["Cache-Control"]
    header, rows = read_csv(_download(response))
    assert header == HEADERS
    assert rows == expected_csv_rows(Signature.objects.filter(pk=mine.pk))
    assert rows[0][2] == "'=1+1"
    export = SignatureExport.objects.get()
    assert export.filters == {
        "petition": first.pk,
        "state": "confirmed",
        "sensitive": "excluded",
    }
    assert (export.state, export.row_count) == (SignatureExport.State.DONE, 1)
    assert export.username == "rita"


def test_an_xlsx_export_downloads_a_workbook(rita, tricky_signatures):
    response = rita.post(EXPORT, {"format": "xlsx"})

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    header, rows = read_xlsx(io.BytesIO(_download(response)))
    assert header == HEADERS
    assert rows == expected_xlsx_rows(Signature.objects.all())
    assert SignatureExport.objects.get().row_count == len(tricky_signatures)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"format": "pdf"}, "format"),
        ({"format": "csv", "petition": "no-such-petition"}, "petition"),
        ({"format": "csv", "state": "maybe"}, "state"),
        ({"format": "csv", "country": "XX"}, "country"),
        ({"format": "csv", "confirmed_from": "2026-02-30"}, "confirmed_from"),
        (
            {
                "format": "csv",
                "confirmed_from": "2026-03-02",
                "confirmed_to": "2026-03-01",
            },
            "confirmed_to",
        ),
    ],
)
def test_bad_filters_show_the_form_again_and_record_nothing(rita, data, field):
    response = rita.post(EXPORT, data)

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not SignatureExport.objects.exists()


def test_a_big_export_is_queued_and_its_link_shown_when_ready(
    rita, reports_user, petition, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_MAX_ROWS_PER_REQUEST = 1
    make_signature(petition)
    make_signature(petition)

    with django_capture_on_commit_callbacks(execute=True):
        response = rita.post(EXPORT, {"format": "csv"})
    listing = rita.get(response["Location"])

    assert response["Location"] == EXPORTS
    assert "built in the background" in listing.content.decode()
    export = SignatureExport.objects.get()
    assert export.via == SignatureExport.Via.BACKGROUND
    assert list(listing.context["cl"].result_list) == [export]
    file = rita.get(_download_link(listing.content.decode()))
    assert file["Content-Disposition"].startswith("attachment; filename=")
    assert read_csv(b"".join(file.streaming_content))[1] == expected_csv_rows(
        Signature.objects.all()
    )


def _download_link(page: str) -> str:
    prefix = reverse("admin:exports_signatureexport_download", args=["TOKEN"])
    start = page.index(prefix.removesuffix("TOKEN/"))
    return page[start : page.index('"', start)]


def test_exporters_see_their_own_exports_and_superusers_all(
    client, reports_user, superuser
):
    colleague = make_staff("rosa", roles=("Reports",))
    for user in (reports_user, colleague):
        services.start_export(user=user, filters={}, format="csv", via="command")

    log_in_verified(client, reports_user)
    own = client.get(EXPORTS).context["cl"].result_list
    log_in_verified(client, superuser)
    everyone = client.get(EXPORTS).context["cl"].result_list

    assert [e.username for e in own] == ["rita"]
    assert sorted(e.username for e in everyone) == ["rita", "rosa"]


def test_export_records_cannot_be_changed_or_deleted(rita, reports_user):
    export = services.start_export(
        user=reports_user, filters={}, format="csv", via="command"
    )
    change = reverse("admin:exports_signatureexport_change", args=[export.pk])
    delete = reverse("admin:exports_signatureexport_delete", args=[export.pk])

    assert rita.get(change).status_code == 200
    assert rita.post(change, {"row_count": 0}).status_code == 403
    assert rita.post(delete, {"post": "yes"}).status_code == 403
    assert rita.get(reverse("admin:exports_signatureexport_add")).status_code == 403
    assert SignatureExport.objects.get().row_count is None


@pytest.mark.parametrize(
    ("token", "status", "message"),
    [
        ("not-a-token", 400, "not valid"),
        ("expired", 410, "has expired"),
        ("gone", 404, "no longer available"),
    ],
)
def test_a_link_that_does_not_work_says_why(
    rita, reports_user, petition, settings, token, status, message
):
    make_signature(petition)
    export = services.start_export(
        user=reports_user, filters={}, format="csv", via="background"
    )
    if token != "not-a-token":
        token = services.download_token(export, user=reports_user)
    if status == 410:
        settings.EXPORT_LINK_MAX_AGE = -1
    url = reverse("admin:exports_signatureexport_download", args=[token])

    response = rita.get(url)

    assert response.status_code == status
    assert message in response.content.decode()


def test_a_link_made_out_to_someone_else_shows_a_page_saying_so(
    rita, reports_user, petition
):
    make_signature(petition)
    export = services.start_export(
        user=reports_user, filters={}, format="csv", via="background"
    )
    colleague = make_staff("rosa", roles=("Reports",))
    token = services.download_token(export, user=colleague)

    response = rita.get(reverse("admin:exports_signatureexport_download", args=[token]))

    assert response.status_code == 403
    assert "Your account may not download this file." in response.content.decode()
