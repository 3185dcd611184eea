import pytest
from django.urls import reverse

from actions.models import Petition, Signature
from actions.outbox.models import OutboundEmail
from actions.services import confirm_signature
from actions.tests.factories import (
    make_petition,
    make_signature,
    make_staff,
    make_target,
    petition_change_data,
)
from staff.tests.otp import log_in_verified

pytestmark = pytest.mark.django_db

SIGNATURES = reverse("admin:actions_signature_changelist")
PETITIONS = reverse("admin:actions_petition_changelist")


def _listed(response) -> list:
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


# signatures


def test_the_signature_list_filters_by_petition(admin_client, statement):
    first, second = make_petition(statement), make_petition(statement)
    mine = [make_signature(first), make_signature(first)]
    make_signature(second)

    response = admin_client.get(SIGNATURES, {"petition__id__exact": first.pk})

    assert sorted(s.pk for s in _listed(response)) == sorted(s.pk for s in mine)


@pytest.mark.parametrize(
    "typed",
    [
        "ada.lovelace@gmail.com",
        "AdaLovelace@GMAIL.com",
        "a.d.a.lovelace+petition@googlemail.com",
        " adalovelace@gmail.com ",
    ],
)
def test_searching_any_spelling_of_an_address_finds_the_signature(
    admin_client, petition, typed
):
    signature = make_signature(petition, email="Ada.Lovelace@gmail.com")
    make_signature(petition, email="someone@example.org")

    response = admin_client.get(SIGNATURES, {"q": typed})

    assert _listed(response) == [signature]


def test_searching_by_last_name_still_works(admin_client, petition):
    signature = make_signature(petition, last_name="Lovelace")
    make_signature(petition, last_name="Babbage")

    response = admin_client.get(SIGNATURES, {"q": "lovelace"})

    assert _listed(response) == [signature]


def test_signatures_cannot_be_added_in_the_admin(admin_client):
    response = admin_client.get(reverse("admin:actions_signature_add"))

    assert response.status_code == 403


def test_a_signature_can_be_seen_but_not_changed(admin_client, petition):
    signature = make_signature(petition, first_name="Ada")
    url = reverse("admin:actions_signature_change", args=[signature.pk])

    page = admin_client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert "Ada" in page.content.decode()

    response = admin_client.post(
        url,
        {
            "petition": petition.pk,
            "first_name": "Mallory",
            "last_name": "X",
            "email": "mallory@example.org",
            "canonical_email": "mallory@example.org",
            "country": "KH",
            "state": Signature.State.CONFIRMED,
            "_save": "Save",
        },
    )

    assert response.status_code == 403
    signature.refresh_from_db()
    assert signature.first_name == "Ada"
    assert signature.state == Signature.State.PENDING


# petitions


def _act(admin_client, action: str, *petitions: Petition):
    """A list action, confirmed (see test_lifecycle_admin for the question)."""
    return admin_client.post(
        PETITIONS,
        {
            "action": action,
            "_selected_action": [p.pk for p in petitions],
            "confirmed": "yes",
        },
    )


def test_the_close_action_closes_open_petitions(admin_client, statement):
    first, second = make_petition(statement), make_petition(statement)

    response = _act(admin_client, "close_selected", first, second)

    assert response.status_code == 302
    for petition in (first, second):
        petition.refresh_from_db()
        assert petition.state == Petition.State.CLOSED
        assert petition.closed_at is not None
    messages = [str(m) for m in admin_client.get(PETITIONS).context["messages"]]
    assert "2 petitions are now closed." in messages


def test_the_deliver_action_moves_only_closed_petitions(admin_client, statement):
    closed, still_open = make_petition(statement), make_petition(statement)
    closed.close()

    _act(admin_client, "deliver_selected", closed, still_open)

    closed.refresh_from_db()
    still_open.refresh_from_db()
    assert closed.state == Petition.State.DELIVERED
    assert closed.delivered_at is not None
    assert still_open.state == Petition.State.OPEN
    assert still_open.delivered_at is None


def test_the_won_action_marks_delivered_petitions_won(admin_client, petition):
    petition.close()
    petition.mark_delivered()

    _act(admin_client, "win_selected", petition)

    petition.refresh_from_db()
    assert petition.state == Petition.State.WON
    assert petition.won_at is not None


def test_the_petition_list_shows_confirmed_counts(admin_client, petition):
    confirm_signature(signature=make_signature(petition))
    make_signature(petition)

    response = admin_client.get(PETITIONS)

    assert response.status_code == 200
    content = response.content.decode()
    assert f'{SIGNATURES}?petition__id__exact={petition.pk}"' in content
    assert '<td class="field-confirmed">1</td>' in content


def test_the_petition_forms_open(admin_client, petition):
    add = admin_client.get(reverse("admin:actions_petition_add"))
    change = admin_client.get(
        reverse("admin:actions_petition_change", args=[petition.pk])
    )

    assert add.status_code == 200
    assert change.status_code == 200


# the outbox


def test_the_outbox_list_opens(admin_client, petition):
    signature = make_signature(petition, email="ada@example.org")
    OutboundEmail.objects.create(
        kind=OutboundEmail.Kind.CONFIRM, to_email=signature.email, signature=signature
    )

    response = admin_client.get(reverse("admin:outbox_outboundemail_changelist"))

    assert len(_listed(response)) == 1
    assert "ada@example.org" in response.content.decode()


def test_outbox_rows_cannot_be_added_or_changed(admin_client, petition):
    signature = make_signature(petition)
    outbound = OutboundEmail.objects.create(
        kind=OutboundEmail.Kind.CONFIRM, to_email=signature.email, signature=signature
    )
    change = reverse("admin:outbox_outboundemail_change", args=[outbound.pk])

    add = reverse("admin:outbox_outboundemail_add")
    assert admin_client.get(add).status_code == 403
    assert admin_client.post(change, {"state": "sent"}).status_code == 403
    assert OutboundEmail.objects.get().state == OutboundEmail.State.QUEUED


# protection: only superusers set `sensitive` and `retention_days`

PETITION_ADD = reverse("admin:actions_petition_add")


def _campaigner_client(client):
    log_in_verified(client, make_staff("cam", roles=("Campaigners",)))
    return client


def _protected(**fields: object) -> Petition:
    return make_petition(sensitive=True, retention_days=30, **fields)


def test_a_campaigner_cannot_lift_a_petitions_protection(client):
    petition = _protected()
    data = petition_change_data(petition, title_en="Renamed", retention_days=0)
    # A ticked box is sent as "on"; an unticked one is not sent at all.
    data.pop("sensitive", None)
    url = reverse("admin:actions_petition_change", args=[petition.pk])

    response = _campaigner_client(client).post(url, data)

    assert response.status_code == 302  # the rest of the form was saved
    petition.refresh_from_db()
    assert petition.title == "Renamed"
    assert (petition.sensitive, petition.retention_days) == (True, 30)


def test_a_campaigner_sees_the_protection_but_cannot_change_it(client):
    petition = _protected()
    url = reverse("admin:actions_petition_change", args=[petition.pk])

    response = _campaigner_client(client).get(url)

    form = response.context["adminform"].form
    assert "sensitive" not in form.fields
    assert "retention_days" not in form.fields
    assert response.context["original"].sensitive  # shown, read-only


def test_a_campaigner_cannot_set_protection_on_a_new_petition(client, statement):
    target = make_target()
    data = {
        "statement": statement.pk,
        "target": target.pk,
        "title_en": "New",
        "slug": "new",
        "demand_en": "Stop it.",
        "position": 0,
        "goal": 10,
        "name_fields": "given_family",
        "country_required": "on",
        "names_to_target": "on",
        "opens_at_0": "2026-01-01",
        "opens_at_1": "10:00:00",
        "sensitive": "on",
        "retention_days": 0,
        "abuse_settings-TOTAL_FORMS": 1,
        "abuse_settings-INITIAL_FORMS": 0,
        "abuse_settings-MIN_NUM_FORMS": 0,
        "abuse_settings-MAX_NUM_FORMS": 1,
    }

    response = _campaigner_client(client).post(PETITION_ADD, data)

    assert response.status_code == 302
    petition = Petition.objects.get(slug="new")
    assert (petition.sensitive, petition.retention_days) == (False, None)


def test_a_superuser_changes_the_protection(admin_client):
    petition = _protected()
    data = petition_change_data(petition, retention_days=7)
    url = reverse("admin:actions_petition_change", args=[petition.pk])

    response = admin_client.post(url, data)

    assert response.status_code == 302
    petition.refresh_from_db()
    assert (petition.sensitive, petition.retention_days) == (False, 7)


def test_no_other_petition_form_offers_the_protection(admin_client, statement):
    # The statement's inline of petitions, the one other form that saves them.
    response = admin_client.get(
        reverse("admin:statements_statement_change", args=[statement.pk])
    )

    page = response.content.decode()
    assert 'name="petitions-0-sensitive"' not in page
    assert "retention_days" not in page
