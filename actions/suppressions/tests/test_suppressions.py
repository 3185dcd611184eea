import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from actions.models import Signature
from actions.outbox.delivery import claim, deliver
from actions.outbox.models import OutboundEmail
from actions.suppressions.models import Suppression
from actions.suppressions.services import exclude_suppressed, is_suppressed, suppress
from actions.tests.factories import make_signature
from staff.tests.otp import log_in_verified

pytestmark = pytest.mark.django_db

SUPPRESSIONS = reverse("admin:suppressions_suppression_changelist")


def _suppress(email: str, reason: str = Suppression.Reason.BOUNCED, event_id="e1"):
    return suppress(email=email, reason=reason, provider="Mailgun", event_id=event_id)


def test_any_spelling_of_a_suppressed_address_is_suppressed():
    _suppress("Ada.Lovelace+news@gmail.com")

    assert is_suppressed("adalovelace@gmail.com")
    assert is_suppressed(" ADA.lovelace@googlemail.com")
    assert not is_suppressed("grace@gmail.com")


def test_suppressing_twice_keeps_one_row_per_reason():
    first = _suppress("ada@example.org", event_id="e1")
    again = _suppress("ada@example.org", event_id="e2")
    replay = _suppress("grace@example.org", event_id="e1")
    other = _suppress("ada@example.org", Suppression.Reason.COMPLAINED, "e3")

    assert first is not None and other is not None
    assert again is None and replay is None
    assert Suppression.objects.count() == 2


def test_excluding_suppressed_signatures(petition):
    kept = make_signature(petition, email="grace@example.org")
    make_signature(petition, email="Ada@Example.org")
    _suppress("ada@example.org")

    remaining = exclude_suppressed(Signature.objects.filter(petition=petition))

    assert list(remaining) == [kept]


def test_a_suppressed_recipient_is_not_sent_to(petition, mailoutbox):
    signature = make_signature(petition, email="ada@example.org")
    outbound = OutboundEmail.objects.create(
        kind=OutboundEmail.Kind.CONFIRM, to_email=signature.email, signature=signature
    )
    _suppress("ada@example.org", Suppression.Reason.COMPLAINED)

    claimed = claim(outbound.pk)  # as the task does: only a claimed row is sent
    assert claimed is not None
    deliver(claimed)

    assert mailoutbox == []
    outbound.refresh_from_db()
    assert outbound.state == OutboundEmail.State.FAILED


# the admin


def _staff(*codenames: str) -> User:
    user = User.objects.create_user("staff", password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


def test_the_suppression_list_shows_addresses_and_finds_any_spelling(admin_client):
    _suppress("ada.lovelace@gmail.com", event_id="e1")
    _suppress("grace@example.org", Suppression.Reason.COMPLAINED, "e2")

    everything = admin_client.get(SUPPRESSIONS)
    found = admin_client.get(SUPPRESSIONS, {"q": "Ada.Lovelace+x@Gmail.com"})

    assert everything.status_code == 200
    assert "grace@example.org" in everything.content.decode()
    assert "Complained of spam" in everything.content.decode()
    assert [s.canonical_email for s in found.context["cl"].result_list] == [
        "adalovelace@gmail.com"
    ]


def test_a_superuser_can_lift_a_suppression(admin_client):
    suppression = _suppress("ada@example.org")
    url = reverse("admin:suppressions_suppression_delete", args=[suppression.pk])

    response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not Suppression.objects.exists()
    assert not is_suppressed("ada@example.org")


def test_staff_can_see_but_not_lift_or_add_suppressions(client):
    suppression = _suppress("ada@example.org")
    log_in_verified(client, _staff("view_suppression", "delete_suppression"))
    delete = reverse("admin:suppressions_suppression_delete", args=[suppression.pk])

    assert client.get(SUPPRESSIONS).status_code == 200
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:suppressions_suppression_add")).status_code == 403
    assert Suppression.objects.count() == 1
