"""An erasure deletes the export and delivery pack files that may hold the
erased supporter; their records stay and say why the file went."""

import os
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from actions.deliverypacks import services as packs
from actions.deliverypacks.models import DeliveryPack
from actions.exports import services as exports
from actions.exports.models import SignatureExport
from actions.exports.tasks import build_signature_export
from actions.models import Signature
from actions.privacy import services
from actions.tests.factories import make_petition, make_signature, make_staff
from staff.tests.otp import log_in_verified

pytestmark = pytest.mark.django_db

DONE, EXPIRED = SignatureExport.State.DONE, SignatureExport.State.EXPIRED


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def rita(db):
    return make_staff("rita", roles=("Reports",))


def _export(user, **filters) -> SignatureExport:
    export = SignatureExport.objects.create(
        user=user,
        username=user.username,
        format=SignatureExport.Format.CSV,
        via=SignatureExport.Via.BACKGROUND,
        filters=filters,
    )
    build_signature_export(export.pk)
    export.refresh_from_db()
    assert export.state == DONE
    return export


def _pack(user, petition, *, include_names: bool) -> DeliveryPack:
    pack = DeliveryPack.objects.create(
        petition=petition,
        user=user,
        username=user.username,
        include_names=include_names,
    )
    packs.build_pack(pack.pk)
    pack.refresh_from_db()
    assert pack.state == DeliveryPack.State.DONE
    return pack


def test_export_and_pack_files_are_readable_by_their_owner_only(
    rita, petition, media_root
):
    make_signature(petition, state=Signature.State.CONFIRMED)

    export = _export(rita)
    pack = _pack(rita, petition, include_names=True)

    for name in (export.file.name, pack.file.name):
        path = media_root / name
        assert os.stat(path).st_mode & 0o777 == 0o600
        assert os.stat(path.parent).st_mode & 0o777 == 0o700


def test_an_erasure_deletes_the_files_that_may_hold_the_erased(
    rita, client, statement, media_root
):
    signed, other = make_petition(statement), make_petition(statement)
    ada = make_signature(signed, email="ada@example.org", state="confirmed")
    make_signature(other, email="grace@example.org", state="confirmed")
    of_signed, of_all = _export(rita, petition=signed.pk), _export(rita)
    of_other = _export(rita, petition=other.pk)
    named = _pack(rita, signed, include_names=True)
    counts_only = _pack(rita, signed, include_names=False)
    other_named = _pack(rita, other, include_names=True)

    assert services.erase(signature=ada) == 1

    for row in (of_signed, of_all, of_other, named, counts_only, other_named):
        row.refresh_from_db()
    for gone in (of_signed, of_all, named):
        assert gone.state == EXPIRED
        assert gone.expired_at is not None
        assert "erased" in gone.error
        assert not (media_root / gone.file.name).exists()
    for kept in (of_other, counts_only, other_named):
        assert kept.state == DONE
        assert (media_root / kept.file.name).exists()

    # The download link then says the file is gone.
    log_in_verified(client, rita)
    token = exports.download_token(of_signed, user=rita)
    response = client.get(
        reverse("admin:exports_signatureexport_download", args=[token])
    )
    assert response.status_code == 404
    assert "This file is no longer available." in response.content.decode()
    token = packs.download_token(named, user=rita)
    response = client.get(
        reverse("admin:deliverypacks_deliverypack_download", args=[token])
    )
    assert response.status_code == 404
    assert "This file is no longer available." in response.content.decode()


def test_erasing_again_deletes_nothing_more(rita, petition, media_root):
    ada = make_signature(petition, email="ada@example.org")
    services.erase(signature=ada)
    after = _export(rita, petition=petition.pk)  # made after: holds no Ada

    assert services.erase(signature=ada) == 0

    after.refresh_from_db()
    assert after.state == DONE
    assert (media_root / after.file.name).exists()


def test_retention_deletes_the_files_of_the_petitions_it_anonymises(
    rita, statement, media_root
):
    petition = make_petition(
        statement,
        retention_days=1,
        closed_at=timezone.now() - timedelta(days=2),
    )
    make_signature(petition, state="confirmed")
    export = _export(rita, petition=petition.pk)

    assert services.anonymise_expired() == 1

    export.refresh_from_db()
    assert export.state == EXPIRED
    assert not (media_root / export.file.name).exists()
