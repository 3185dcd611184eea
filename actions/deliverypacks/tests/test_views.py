import pytest
from django.contrib.auth.models import Permission
from django.core import signing
from django.urls import reverse
from django.utils.html import escape

from actions.core.tokens import make_download_token
from actions.deliverypacks import services
from actions.deliverypacks.models import DeliveryPack
from actions.deliverypacks.tests.conftest import pdf_text
from actions.models import Signature
from actions.tests.factories import make_petition, make_signature, make_staff
from campaign.tests.snapshot import changed_tables, database_snapshot
from staff.tests.otp import log_in_verified

pytestmark = pytest.mark.django_db

PACKS = reverse("admin:deliverypacks_deliverypack_changelist")
REQUEST = reverse("admin:deliverypacks_deliverypack_request")


def _download_url(token: str) -> str:
    return reverse("admin:deliverypacks_deliverypack_download", args=[token])


@pytest.fixture
def rita(client, reports_user):
    log_in_verified(client, reports_user)
    return client


@pytest.fixture
def pack(petition, reports_user):
    make_signature(
        petition,
        first_name="Ada",
        last_name="Lovelace",
        state=Signature.State.CONFIRMED,
    )
    pack = DeliveryPack.objects.create(
        petition=petition, user=reports_user, username="rita", include_names=True
    )
    services.build_pack(pack.pk)
    pack.refresh_from_db()
    return pack


def test_an_exporter_requests_a_pack_and_finds_its_link_in_the_list(
    rita, reports_user, petition, django_capture_on_commit_callbacks
):
    assert REQUEST in rita.get(PACKS).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = rita.post(REQUEST, {"petition": petition.pk, "include_names": "on"})

    assert response.status_code == 302
    pack = DeliveryPack.objects.get()
    assert (pack.user, pack.include_names, pack.state) == (reports_user, True, "done")
    page = rita.get(PACKS).content.decode()
    token = services.download_token(pack, user=reports_user)
    assert _download_url(token) in page


def test_the_form_refuses_names_of_a_sensitive_petition(rita, statement):
    petition = make_petition(statement, sensitive=True)

    response = rita.post(REQUEST, {"petition": petition.pk, "include_names": "on"})

    assert response.status_code == 200
    assert escape(str(services.SENSITIVE_REFUSAL)) in response.content.decode()
    assert not DeliveryPack.objects.exists()


def test_a_campaigner_without_the_export_permission_cannot_request(
    client, campaigner, petition
):
    log_in_verified(client, campaigner)

    assert client.get(REQUEST).status_code == 403
    assert client.post(REQUEST, {"petition": petition.pk}).status_code == 403
    assert client.get(PACKS).status_code == 403


def test_the_link_downloads_the_pdf_for_its_user(rita, reports_user, pack):
    response = rita.get(_download_url(services.download_token(pack, user=reports_user)))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert "attachment" in response["Content-Disposition"]
    assert "Ada Lovelace" in pdf_text(b"".join(response.streaming_content))


def test_someone_elses_link_is_refused_with_a_page(client, reports_user, pack):
    other = make_staff("otto", roles=("Reports",))
    log_in_verified(client, other)

    response = client.get(
        _download_url(services.download_token(pack, user=reports_user))
    )

    assert response.status_code == 403
    assert "may not download this file" in response.content.decode()


def test_a_link_to_someone_elses_pack_is_refused(client, pack):
    other = make_staff("otto", roles=("Reports",))
    log_in_verified(client, other)

    response = client.get(_download_url(services.download_token(pack, user=other)))

    assert response.status_code == 403


def test_an_account_that_lost_the_permission_is_refused(client, campaigner, pack):
    log_in_verified(client, campaigner)

    response = client.get(_download_url(services.download_token(pack, user=campaigner)))

    assert response.status_code == 403


def test_an_expired_link_says_so(rita, reports_user, pack, settings):
    token = services.download_token(pack, user=reports_user)
    settings.EXPORT_LINK_MAX_AGE = -1

    response = rita.get(_download_url(token))

    assert response.status_code == 410
    assert "has expired" in response.content.decode()


@pytest.mark.parametrize(
    "make_token",
    [
        lambda pack, user: services.download_token(pack, user=user)[:-2] + "xx",
        # An export's link for the same numbers: another salt, refused.
        lambda pack, user: make_download_token(export_id=pack.pk, user_id=user.pk),
        lambda pack, user: signing.dumps({"pack": pack.pk}, salt="other"),
    ],
)
def test_a_tampered_link_is_not_valid(rita, reports_user, pack, make_token):
    response = rita.get(_download_url(make_token(pack, reports_user)))

    assert response.status_code == 400
    assert "not valid" in response.content.decode()


def test_names_of_a_petition_now_sensitive_are_refused_whoever_asks(
    admin_client, admin_user, pack
):
    pack.petition.sensitive = True
    pack.petition.save()

    response = admin_client.get(
        _download_url(services.download_token(pack, user=admin_user))
    )

    assert response.status_code == 403
    assert "sensitive" in response.content.decode()


def test_a_deleted_file_is_no_longer_available(rita, reports_user, pack):
    pack.file.delete(save=False)
    pack.expire()

    response = rita.get(_download_url(services.download_token(pack, user=reports_user)))

    assert response.status_code == 404


def test_every_change_to_a_valid_link_is_refused_and_changes_nothing(
    rita, reports_user, pack
):
    token = services.download_token(pack, user=reports_user)
    changed = [
        token[:i] + ("A" if ch != "A" else "B") + token[i + 1 :]
        for i, ch in enumerate(token)
    ]
    cut = [token[: len(token) * n // 3] for n in (1, 2)] + [token[:-1]]
    before = database_snapshot()

    for bad in [*changed, *cut, token + "A", token + ":" + token]:
        response = rita.get(_download_url(bad))
        assert response.status_code in {400, 403, 404, 410}, bad
        assert "Download not available" in response.content.decode(), bad

    assert changed_tables(before, database_snapshot()) == {}


def test_an_auditor_gets_no_names_of_a_petition_now_sensitive(client, pack):
    auditor = make_staff("audrey", roles=("Reports",))
    auditor.user_permissions.add(
        Permission.objects.get(
            codename="view_deliverypack", content_type__app_label="deliverypacks"
        )
    )
    pack.petition.sensitive = True
    pack.petition.save()
    log_in_verified(client, auditor)

    listed = client.get(PACKS).content.decode()
    response = client.get(_download_url(services.download_token(pack, user=auditor)))

    assert "rita" in listed  # the record, not the file
    assert "/download/" not in listed
    assert response.status_code == 403
    assert "sensitive" in response.content.decode()
