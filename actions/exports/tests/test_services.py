import json
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.utils import timezone

from actions.exports import services, writers
from actions.exports.models import SignatureExport
from actions.exports.tasks import build_signature_export, delete_expired_exports
from actions.exports.tests.expected import expected_csv_rows, read_csv
from actions.exports.writers import TooManyRows
from actions.models import Signature
from actions.tests.factories import make_signature, make_staff

pytestmark = pytest.mark.django_db

CSV, XLSX = SignatureExport.Format.CSV, SignatureExport.Format.XLSX
DOWNLOAD, COMMAND = SignatureExport.Via.DOWNLOAD, SignatureExport.Via.COMMAND


def _start(user, *, filters=None, format=CSV, via=DOWNLOAD):
    return services.start_export(
        user=user, filters=filters or {}, format=format, via=via
    )


def test_an_export_is_recorded_before_any_row_leaves(reports_user, petition):
    make_signature(petition)

    export = _start(reports_user, filters={"state": "pending"})

    export.refresh_from_db()
    assert export.user == reports_user
    assert export.username == "rita"
    # Not a superuser: sensitive petitions are left out, on the record.
    assert export.filters == {"state": "pending", "sensitive": "excluded"}
    assert (export.format, export.via) == (CSV, DOWNLOAD)
    assert export.state == SignatureExport.State.RUNNING
    assert export.started_at is not None
    assert export.row_count is None


def test_streaming_finishes_the_record_with_its_row_count(reports_user, petition):
    for _ in range(3):
        make_signature(petition)
    export = _start(reports_user)

    data = b"".join(services.stream_csv(export))

    export.refresh_from_db()
    assert export.state == SignatureExport.State.DONE
    assert export.row_count == 3
    assert export.finished_at is not None
    assert read_csv(data)[1] == expected_csv_rows(Signature.objects.all())


def test_a_finished_export_is_written_to_the_audit_log_once(reports_user, petition):
    for _ in range(2):
        make_signature(petition)
    export = _queued(reports_user)

    build_signature_export(export.pk)
    build_signature_export(export.pk)  # a twin run logs nothing more

    [entry] = LogEntry.objects.filter(object_id=str(export.pk))
    assert entry.user == reports_user
    assert json.loads(entry.change_message) == [{"exported": {"rows": 2}}]


def test_a_download_cut_short_is_recorded_as_failed(
    reports_user, petition, monkeypatch
):
    for _ in range(40):
        make_signature(petition)
    monkeypatch.setattr(writers, "CHUNK_BYTES", 200)
    export = _start(reports_user)

    stream = services.stream_csv(export)
    next(stream)  # the header
    next(stream)
    stream.close()

    export.refresh_from_db()
    assert export.state == SignatureExport.State.FAILED
    assert export.failed_at is not None
    assert "interrupted" in export.error
    assert export.row_count is None


def test_a_user_without_the_permission_records_nothing(campaigner):
    with pytest.raises(PermissionDenied):
        _start(campaigner)

    assert not SignatureExport.objects.exists()


def test_an_inactive_user_may_not_export(reports_user):
    reports_user.is_active = False
    reports_user.save()

    with pytest.raises(PermissionDenied):
        _start(reports_user)


def test_an_xlsx_too_big_for_a_sheet_is_refused_before_it_starts(
    reports_user, petition, monkeypatch
):
    for _ in range(3):
        make_signature(petition)
    monkeypatch.setattr(services, "XLSX_MAX_ROWS", 2)

    with pytest.raises(TooManyRows):
        _start(reports_user, format=XLSX)

    assert not SignatureExport.objects.exists()


def test_a_big_admin_export_is_built_by_a_worker_into_a_private_file(
    reports_user, petition, settings, media_root, django_capture_on_commit_callbacks
):
    settings.EXPORT_MAX_ROWS_PER_REQUEST = 2
    for _ in range(3):
        make_signature(petition)

    with django_capture_on_commit_callbacks(execute=True):
        export = _start(reports_user)

    export.refresh_from_db()
    assert export.via == SignatureExport.Via.BACKGROUND
    assert export.state == SignatureExport.State.DONE
    assert export.row_count == 3
    assert export.file.name == f"exports/signatures-{export.pk}.csv"
    assert (media_root / export.file.name).exists()
    with export.file.open("rb") as file:
        assert read_csv(file.read())[1] == expected_csv_rows(Signature.objects.all())


def test_the_command_is_never_sent_to_the_background(reports_user, petition, settings):
    settings.EXPORT_MAX_ROWS_PER_REQUEST = 0
    make_signature(petition)

    export = _start(reports_user, via=COMMAND)

    assert export.via == COMMAND
    assert export.state == SignatureExport.State.RUNNING


def _queued(user, **fields) -> SignatureExport:
    return SignatureExport.objects.create(
        user=user,
        username=user.username,
        format=fields.pop("format", CSV),
        via=SignatureExport.Via.BACKGROUND,
        **fields,
    )


def test_building_twice_builds_once(reports_user, petition):
    make_signature(petition)
    export = _queued(reports_user)

    build_signature_export(export.pk)
    build_signature_export(export.pk)

    export.refresh_from_db()
    assert export.state == SignatureExport.State.DONE
    assert default_storage.listdir("exports")[1] == [f"signatures-{export.pk}.csv"]


def test_a_background_xlsx_is_a_workbook(reports_user, petition):
    make_signature(petition)
    export = _queued(reports_user, format=XLSX)

    build_signature_export(export.pk)

    export.refresh_from_db()
    assert export.file.name.endswith(".xlsx")
    with export.file.open("rb") as file:
        assert file.read(2) == b"PK"  # a zip, as every XLSX


def test_a_failed_build_is_recorded_and_leaves_no_file(
    reports_user, petition, monkeypatch
):
    for _ in range(3):
        make_signature(petition)
    monkeypatch.setattr(writers, "XLSX_MAX_ROWS", 2)
    export = _queued(reports_user, format=XLSX)

    with pytest.raises(TooManyRows):
        build_signature_export(export.pk)

    export.refresh_from_db()
    assert export.state == SignatureExport.State.FAILED
    assert "more rows than a spreadsheet holds" in export.error
    assert not default_storage.exists("exports")


# download links


def _built(user, petition) -> SignatureExport:
    make_signature(petition)
    export = _queued(user)
    build_signature_export(export.pk)
    export.refresh_from_db()
    return export


def test_a_link_opens_the_export_for_its_user(reports_user, petition):
    export = _built(reports_user, petition)
    token = services.download_token(export, user=reports_user)

    assert services.export_for_download(token, user=reports_user) == export


def test_a_link_is_bound_to_the_user_it_was_made_for(reports_user, petition):
    export = _built(reports_user, petition)
    token = services.download_token(export, user=reports_user)
    colleague = make_staff("rosa", roles=("Reports",))

    with pytest.raises(PermissionDenied):
        services.export_for_download(token, user=colleague)


def test_another_exporter_cannot_fetch_someone_elses_file(reports_user, petition):
    export = _built(reports_user, petition)
    colleague = make_staff("rosa", roles=("Reports",))
    token = services.download_token(export, user=colleague)

    with pytest.raises(PermissionDenied):
        services.export_for_download(token, user=colleague)


def test_a_superuser_may_fetch_any_export(reports_user, superuser, petition):
    export = _built(reports_user, petition)
    token = services.download_token(export, user=superuser)

    assert services.export_for_download(token, user=superuser) == export


def test_a_link_expires(reports_user, petition, settings):
    export = _built(reports_user, petition)
    token = services.download_token(export, user=reports_user)
    settings.EXPORT_LINK_MAX_AGE = -1

    with pytest.raises(signing.SignatureExpired):
        services.export_for_download(token, user=reports_user)


def test_a_link_signed_for_another_purpose_is_refused(reports_user, petition):
    export = _built(reports_user, petition)
    forged = signing.dumps({"export": export.pk, "user": reports_user.pk})

    with pytest.raises(signing.BadSignature):
        services.export_for_download(forged, user=reports_user)


def test_old_files_are_deleted_and_their_records_kept(reports_user, petition):
    old, recent = _built(reports_user, petition), _built(reports_user, petition)
    SignatureExport.objects.filter(pk=old.pk).update(
        finished_at=timezone.now() - timedelta(days=2)
    )

    assert delete_expired_exports() == 1
    assert delete_expired_exports() == 0

    old.refresh_from_db()
    assert old.state == SignatureExport.State.EXPIRED
    assert old.expired_at is not None
    assert not default_storage.exists(old.file.name)
    assert default_storage.exists(recent.file.name)
    token = services.download_token(old, user=reports_user)
    with pytest.raises(SignatureExport.DoesNotExist):
        services.export_for_download(token, user=reports_user)
