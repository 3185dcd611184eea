import io
import os
import pty

import pytest
from django.core.management import CommandError, call_command

from actions.exports.management.commands.export_signatures import Command
from actions.exports.models import SignatureExport
from actions.exports.tests.expected import (
    expected_csv_rows,
    expected_xlsx_rows,
    read_csv,
    read_xlsx,
)
from actions.models import Signature
from actions.tests.factories import make_petition, make_signature, make_staff

pytestmark = pytest.mark.django_db


def _export(*args: str, stderr=None) -> str:
    out = io.StringIO()
    call_command("export_signatures", *args, stdout=out, stderr=stderr or io.StringIO())
    return out.getvalue()


def test_the_command_writes_the_filtered_csv_and_records_it(
    reports_user, statement, tmp_path
):
    first, second = make_petition(statement), make_petition(statement)
    mine = make_signature(first, state="confirmed", country="MM", source="radio")
    make_signature(first, state="confirmed", country="KH", source="radio")
    make_signature(second, state="confirmed", country="MM", source="radio")
    output = tmp_path / "out.csv"

    said = _export(
        "--user=rita",
        "--format=csv",
        f"--output={output}",
        f"--petition={first.slug}",
        "--state=confirmed",
        "--country=MM",
        "--source=Radio",
    )

    assert read_csv(output.read_bytes())[1] == expected_csv_rows(
        Signature.objects.filter(pk=mine.pk)
    )
    export = SignatureExport.objects.get()
    assert said == f"Wrote 1 signatures to {output} (export {export.pk}).\n"
    assert export.via == SignatureExport.Via.COMMAND
    assert export.username == "rita"
    assert export.filters == {
        "petition": first.pk,
        "state": "confirmed",
        "country": "MM",
        "source": "radio",
        "sensitive": "excluded",
    }
    assert (export.state, export.row_count) == (SignatureExport.State.DONE, 1)
    assert output.stat().st_mode & 0o077 == 0  # personal data: owner only


def test_the_command_writes_xlsx(reports_user, tricky_signatures, tmp_path):
    output = tmp_path / "out.xlsx"

    _export("--user=rita", "--format=xlsx", f"--output={output}")

    assert read_xlsx(output)[1] == expected_xlsx_rows(Signature.objects.all())


def test_the_confirmation_range_and_consent_filters(reports_user, petition, tmp_path):
    make_signature(petition, wants_updates=True)  # pending
    confirmed = make_signature(petition, state="confirmed", wants_updates=True)
    make_signature(petition, state="confirmed", wants_updates=False)
    day = confirmed.confirmed_at.date().isoformat()
    output = tmp_path / "out.csv"

    _export(
        "--user=rita",
        "--format=csv",
        f"--output={output}",
        f"--confirmed-from={day}",
        f"--confirmed-to={day}",
        "--consent=yes",
    )

    assert [row[0] for row in read_csv(output.read_bytes())[1]] == [str(confirmed.pk)]


@pytest.mark.parametrize(
    ("username", "message"),
    [("carl", "carl may not export signatures."), ("nobody", "No user named")],
)
def test_the_command_refuses_who_may_not_export(
    campaigner, username, message, petition, tmp_path
):
    make_signature(petition)
    output = tmp_path / "out.csv"

    with pytest.raises(CommandError, match=message):
        _export(f"--user={username}", "--format=csv", f"--output={output}")

    assert not output.exists()
    assert not SignatureExport.objects.exists()


def test_a_superuser_may_export(superuser, petition, tmp_path):
    make_signature(petition)

    said = _export("--user=root", "--format=csv", f"--output={tmp_path / 'o.csv'}")

    assert said.startswith("Wrote 1 signatures")


def test_bad_filters_are_named_and_change_nothing(reports_user, tmp_path):
    output = tmp_path / "out.csv"

    with pytest.raises(CommandError) as error:
        _export(
            "--user=rita",
            "--format=csv",
            f"--output={output}",
            "--petition=no-such-petition",
            "--confirmed-from=yesterday",
        )

    assert "--petition: Select a valid choice" in str(error.value)
    assert "--confirmed-from: Enter a valid date." in str(error.value)
    assert not output.exists()
    assert not SignatureExport.objects.exists()


def test_a_missing_directory_is_refused(reports_user, tmp_path):
    output = tmp_path / "missing" / "out.csv"

    with pytest.raises(CommandError, match="No such directory"):
        _export("--user=rita", "--format=csv", f"--output={output}")

    assert not SignatureExport.objects.exists()


def test_a_failed_export_leaves_no_file_and_is_recorded(
    reports_user, petition, tmp_path, monkeypatch
):
    from actions.exports import writers

    for _ in range(3):
        make_signature(petition)
    # As if rows arrived between the count (which allowed them) and the
    # writing (which finds more than a sheet holds).
    monkeypatch.setattr("actions.exports.services.XLSX_MAX_ROWS", 10)
    monkeypatch.setattr(writers, "XLSX_MAX_ROWS", 2)
    output = tmp_path / "out.xlsx"

    with pytest.raises(writers.TooManyRows):
        _export("--user=rita", "--format=xlsx", f"--output={output}")

    assert list(tmp_path.iterdir()) == []
    assert SignatureExport.objects.get().state == SignatureExport.State.FAILED


def test_a_progress_bar_runs_on_a_terminal(reports_user, petition, tmp_path):
    for _ in range(3):
        make_signature(petition)
    controller, terminal = pty.openpty()

    with os.fdopen(terminal, "w") as stderr:
        _export(
            "--user=rita",
            "--format=csv",
            f"--output={tmp_path / 'o.csv'}",
            stderr=stderr,
        )
    shown = os.read(controller, 4096).decode()
    os.close(controller)

    assert "\r[" + "#" * 30 + "] 100% 3/3 rows" in shown


def test_the_progress_bar_is_not_coloured_as_an_error(reports_user, petition, tmp_path):
    make_signature(petition)
    controller, terminal = pty.openpty()

    with os.fdopen(terminal, "w") as stderr:
        # Django colours a command's own stderr red (its style for errors).
        command = Command(stderr=stderr, force_color=True)
        call_command(
            command,
            "--user=rita",
            "--format=csv",
            f"--output={tmp_path / 'o.csv'}",
            stdout=io.StringIO(),
        )
    shown = os.read(controller, 4096).decode()
    os.close(controller)

    assert "] 100% 1/1 rows" in shown
    assert "\x1b[" not in shown


def test_off_a_terminal_the_bar_is_written_once_at_the_end(
    reports_user, petition, tmp_path
):
    for _ in range(2):
        make_signature(petition)
    stderr = io.StringIO()

    _export(
        "--user=rita", "--format=csv", f"--output={tmp_path / 'o.csv'}", stderr=stderr
    )

    assert stderr.getvalue() == "[" + "#" * 30 + "] 100% 2/2 rows\n"


def test_off_a_terminal_a_failed_export_writes_no_bar(
    reports_user, petition, tmp_path, monkeypatch
):
    make_signature(petition)
    monkeypatch.setattr("actions.exports.services.write_export", _fail)
    stderr = io.StringIO()

    with pytest.raises(OSError, match="disk full"):
        _export(
            "--user=rita",
            "--format=csv",
            f"--output={tmp_path / 'o.csv'}",
            stderr=stderr,
        )

    assert stderr.getvalue() == ""


def _fail(*args, **kwargs):
    raise OSError("disk full")


def test_an_existing_file_is_kept_without_force(reports_user, petition, tmp_path):
    make_signature(petition)
    output = tmp_path / "out.csv"
    output.write_text("keep me")

    with pytest.raises(CommandError, match="out.csv exists: .* --force to replace"):
        _export("--user=rita", "--format=csv", f"--output={output}")

    assert output.read_text() == "keep me"
    assert list(tmp_path.iterdir()) == [output]
    assert not SignatureExport.objects.exists()


def test_force_replaces_an_existing_file(reports_user, petition, tmp_path):
    make_signature(petition)
    output = tmp_path / "out.csv"
    output.write_text("old")

    _export("--user=rita", "--format=csv", f"--output={output}", "--force")

    assert len(read_csv(output.read_bytes())[1]) == 1
    assert SignatureExport.objects.get().row_count == 1


def test_a_directory_is_refused_as_the_output(reports_user, tmp_path):
    with pytest.raises(CommandError, match="is a directory"):
        _export("--user=rita", "--format=csv", f"--output={tmp_path}", "--force")

    assert not SignatureExport.objects.exists()


def test_the_state_option_lists_every_state():
    parser = Command().create_parser("manage.py", "export_signatures")

    shown = " ".join(parser.format_help().split())

    assert "pending, confirmed, invalidated, suspect." in shown
    for state in Signature.State.values:
        assert state in shown


def test_staff_without_a_role_may_not_export(db, tmp_path):
    make_staff("sam")

    with pytest.raises(CommandError, match="sam may not export"):
        _export("--user=sam", "--format=csv", f"--output={tmp_path / 'o.csv'}")
