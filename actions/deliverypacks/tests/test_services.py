import json
import os

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from actions.deliverypacks import services
from actions.deliverypacks.models import DeliveryPack
from actions.deliverypacks.services import SensitiveNames
from actions.deliverypacks.tests.conftest import pdf_text
from actions.models import Signature
from actions.tests.factories import make_petition, make_signature
from staff.audit import EXPORTED, VIEWED_SIGNERS, logged

pytestmark = pytest.mark.django_db

CONFIRMED = Signature.State.CONFIRMED


@pytest.fixture
def signed(petition):
    """Confirmed signers in two countries, and some that must not count."""
    make_signature(petition, first_name="Ada", last_name="Lovelace", state=CONFIRMED)
    make_signature(petition, first_name="Sok", last_name="Dara", state=CONFIRMED)
    make_signature(
        petition, first_name="Marie", last_name="Curie", country="FR", state=CONFIRMED
    )
    make_signature(petition, first_name="Pending", last_name="Person")
    make_signature(
        petition,
        first_name="Gone",
        last_name="Away",
        state=Signature.State.INVALIDATED,
        invalidated_at=timezone.now(),
    )
    make_signature(make_petition(), first_name="Other", last_name="Petition")
    return petition


def _built(*, user, petition, include_names, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        pack = services.request_pack(
            user=user, petition=petition, include_names=include_names
        )
    pack.refresh_from_db()
    return pack


def test_counts_by_country_holds_confirmed_signatures_only(signed):
    assert services.counts_by_country(signed) == [("KH", 2), ("FR", 1)]


def test_confirmed_names_leave_out_erased_signers(signed):
    Signature.objects.filter(first_name="Sok").update(
        first_name="",
        last_name="",
        email="x",
        canonical_email="x",
        anonymised_at=timezone.now(),
    )

    assert list(services.confirmed_names(signed)) == [
        ("Ada Lovelace", "KH"),
        ("Marie Curie", "FR"),
    ]


def test_a_pack_without_names_has_the_statement_demand_target_and_counts(
    reports_user, signed, django_capture_on_commit_callbacks
):
    pack = _built(
        user=reports_user,
        petition=signed,
        include_names=False,
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )

    assert pack.state == DeliveryPack.State.DONE
    assert pack.signature_count == 3
    data = pack.file.read()
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    assert signed.title in text
    assert signed.statement.standfirst.split()[0] in text
    assert "Cancel the visit." in text
    assert signed.target.name in text
    assert "Cambodia" in text and "France" in text
    assert "Lovelace" not in text and "Pending" not in text


def test_a_pack_with_names_lists_each_confirmed_signer_and_country(
    reports_user, signed, django_capture_on_commit_callbacks
):
    pack = _built(
        user=reports_user,
        petition=signed,
        include_names=True,
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )

    text = pdf_text(pack.file.read())
    assert "Ada Lovelace" in text and "Sok Dara" in text and "Marie Curie" in text
    assert "Pending" not in text and "Gone" not in text and "Other" not in text


def test_names_run_over_as_many_pages_as_they_need(
    reports_user, petition, django_capture_on_commit_callbacks
):
    for n in range(150):
        make_signature(
            petition, first_name="Signer", last_name=f"N{n}", state=CONFIRMED
        )

    pack = _built(
        user=reports_user,
        petition=petition,
        include_names=True,
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )

    text = pdf_text(pack.file.read())
    assert all(f"Signer N{n}\n" in text or f"Signer N{n} " in text for n in range(150))
    assert text.count("Signer N") == 150


def test_names_of_a_sensitive_petition_are_refused_even_to_a_superuser(
    superuser, statement
):
    petition = make_petition(statement, sensitive=True)

    with pytest.raises(SensitiveNames):
        services.request_pack(user=superuser, petition=petition, include_names=True)
    assert not DeliveryPack.objects.exists()


def test_a_sensitive_petition_may_have_a_pack_without_names(
    reports_user, statement, django_capture_on_commit_callbacks
):
    petition = make_petition(statement, sensitive=True)
    make_signature(petition, last_name="Hidden", state=CONFIRMED)

    pack = _built(
        user=reports_user,
        petition=petition,
        include_names=False,
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )

    assert pack.signature_count == 1
    assert "Hidden" not in pdf_text(pack.file.read())


def test_names_are_refused_when_the_petition_became_sensitive_before_the_build(
    reports_user, signed
):
    pack = services.request_pack(user=reports_user, petition=signed, include_names=True)
    signed.sensitive = True
    signed.save()

    services.build_pack(pack.pk)

    pack.refresh_from_db()
    assert pack.state == DeliveryPack.State.FAILED
    assert not pack.file


def test_an_account_without_the_export_permission_is_refused(campaigner, signed):
    with pytest.raises(PermissionDenied):
        services.request_pack(user=campaigner, petition=signed, include_names=False)


def test_a_pack_is_audited_with_a_signer_view_when_it_lists_names(
    reports_user, signed, django_capture_on_commit_callbacks
):
    pack = _built(
        user=reports_user,
        petition=signed,
        include_names=True,
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )

    entries = LogEntry.objects.filter(user=reports_user).order_by("pk")
    assert logged(entries[0], EXPORTED) == {"rows": 3}
    assert entries[0].object_id == str(pack.pk)
    assert logged(entries[1], VIEWED_SIGNERS) == {"via": "delivery_pack"}
    assert entries[1].object_id == str(signed.pk)


def test_a_pack_without_names_logs_no_look_at_signers(
    reports_user, signed, django_capture_on_commit_callbacks
):
    _built(
        user=reports_user,
        petition=signed,
        include_names=False,
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )

    messages = [json.loads(e.change_message)[0] for e in LogEntry.objects.all()]
    assert [list(m) for m in messages] == [[EXPORTED]]


def test_a_broker_outage_marks_the_pack_failed(reports_user, signed, monkeypatch):
    def down(*args):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(services, "enqueue", down)
    pack = services.request_pack(
        user=reports_user, petition=signed, include_names=False
    )

    assert not services.enqueue_pack(pack.pk)
    pack.refresh_from_db()
    assert pack.state == DeliveryPack.State.FAILED


def test_old_files_are_deleted_and_their_records_kept(
    reports_user, signed, settings, django_capture_on_commit_callbacks
):
    pack = _built(
        user=reports_user,
        petition=signed,
        include_names=False,
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )
    settings.EXPORT_FILE_MAX_AGE = -1
    path = pack.file.path

    assert services.delete_expired_files() == 1
    assert services.delete_expired_files() == 0
    pack.refresh_from_db()
    assert pack.state == DeliveryPack.State.EXPIRED
    assert not os.path.exists(path)


def test_a_sensitive_pack_names_only_countries_with_many_signers(
    reports_user, statement, settings, django_capture_on_commit_callbacks
):
    settings.PUBLIC_COUNTRY_COUNT_MIN = 3
    petition = make_petition(statement, sensitive=True)
    for country in ["KH", "KH", "KH", "ER", "TH"]:
        make_signature(petition, last_name="Hidden", country=country, state=CONFIRMED)

    pack = _built(
        user=reports_user,
        petition=petition,
        include_names=False,
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )

    text = pdf_text(pack.file.read())
    assert pack.signature_count == 5
    assert "Cambodia" in text
    assert "Other countries" in text
    assert "Eritrea" not in text and "Thailand" not in text
    assert "Hidden" not in text and "Ada" not in text


def test_an_ordinary_pack_names_every_country(
    reports_user, signed, settings, django_capture_on_commit_callbacks
):
    settings.PUBLIC_COUNTRY_COUNT_MIN = 3

    pack = _built(
        user=reports_user,
        petition=signed,
        include_names=False,
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )

    text = pdf_text(pack.file.read())
    assert "France" in text and "Other countries" not in text
