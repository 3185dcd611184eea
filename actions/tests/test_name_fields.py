"""Each petition asks for the names and country it says (Petition.name_fields,
country_required), and says under its form who sees what (names_to_target)."""

import html

import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation

from actions.counts import OTHER_COUNTRIES
from actions.dashboard import services as dashboard
from actions.deliverypacks import document
from actions.deliverypacks import services as deliverypacks
from actions.deliverypacks.services import NAMES_KEPT_REFUSAL, SensitiveNames
from actions.forms import signature_form
from actions.letters.emails import signature_block
from actions.letters.models import Letter
from actions.letters.tests.factories import (
    MODEL_LETTER,
    make_letter_action,
    make_recipient,
)
from actions.models import Petition, Signature
from actions.outbox.models import OutboundEmail
from actions.tests.factories import make_petition, make_signature, stamp_for

pytestmark = pytest.mark.django_db

FULL = Petition.NameFields.FULL


def _sign(client, petition: Petition, data: dict, **fields: str):
    url = reverse("actions:sign", args=[petition.slug])
    return client.post(url, data | {"started": stamp_for(petition)} | fields)


def _page(client, petition: Petition) -> str:
    response = client.get(reverse("actions:sign", args=[petition.slug]))
    return html.unescape(response.content.decode())


def test_one_name_is_enough_by_default(client, petition, sign_data):
    response = _sign(client, petition, sign_data, first_name="Thida", last_name="")

    assert response.status_code == 302
    signature = Signature.objects.get()
    assert (signature.first_name, signature.last_name) == ("Thida", "")
    assert signature.full_name == "Thida"


def test_the_default_form_asks_for_a_given_name_and_an_optional_family_name(
    petition,
):
    form = signature_form(petition)

    assert str(form.fields["first_name"].label) == "Given name"
    assert str(form.fields["last_name"].label) == "Family name (optional)"
    assert not form.fields["last_name"].required
    assert form.fields["country"].required


def test_full_name_mode_asks_for_one_field_and_keeps_it_whole(
    client, petition, sign_data
):
    petition.name_fields = FULL
    petition.save()
    page = _page(client, petition)
    assert "Full name" in page
    assert 'name="last_name"' not in page
    assert 'autocomplete="name"' in page

    response = _sign(
        client, petition, sign_data, first_name="Aung Ko Ko", last_name="Ignored"
    )

    assert response.status_code == 302
    signature = Signature.objects.get()
    assert (signature.first_name, signature.last_name) == ("Aung Ko Ko", "")


def test_full_name_mode_refuses_an_empty_name_and_saves_nothing(
    client, petition, sign_data, mailoutbox
):
    petition.name_fields = FULL
    petition.save()

    response = _sign(client, petition, sign_data, first_name="  ")

    assert response.status_code == 200
    assert "Please enter your name." in response.content.decode()
    assert Signature.objects.count() == OutboundEmail.objects.count() == 0
    assert mailoutbox == []


def test_a_required_country_is_asked_for_with_a_clear_message(
    client, petition, sign_data
):
    response = _sign(client, petition, sign_data, country="")

    assert response.status_code == 200
    assert "Please choose your country." in response.content.decode()
    assert Signature.objects.count() == 0


def test_an_optional_country_may_be_left_out(client, petition, sign_data):
    petition.country_required = False
    petition.save()
    assert "Country (optional)" in _page(client, petition)

    response = _sign(client, petition, sign_data, country="")

    assert response.status_code == 302
    assert Signature.objects.get().country == ""


def test_an_optional_country_given_is_still_checked(client, petition, sign_data):
    petition.country_required = False
    petition.save()

    response = _sign(client, petition, sign_data, country="XX")

    assert response.status_code == 200
    assert Signature.objects.count() == 0


def test_a_sensitive_petition_keeps_one_optional_name_in_full_name_mode(petition):
    petition.sensitive, petition.name_fields = True, FULL
    petition.country_required = False

    form = signature_form(petition)

    assert "last_name" not in form.fields
    assert not form.fields["first_name"].required
    assert not form.fields["country"].required


def test_the_page_shows_the_form_the_petition_asks_for_now(client, petition):
    # The form's fragment is cached an hour: a changed setting must show.
    assert 'name="last_name"' in _page(client, petition)
    petition.name_fields = FULL
    petition.save()
    caches["rows"].clear()  # the petition row itself is kept 5 seconds

    assert 'name="last_name"' not in _page(client, petition)


def _letter_data(action: Petition, **fields: str) -> dict[str, str]:
    return {
        "subject": "Refer the situation to the ICC",
        "body": MODEL_LETTER,
        "first_name": "Thida",
        "email": "thida@example.org",
        "country": "",
        "website": "",
        "started": stamp_for(action),
    } | fields


def test_a_letter_writer_may_give_one_name_and_no_country(client):
    action = make_letter_action()
    action.name_fields, action.country_required = FULL, False
    action.save()

    response = client.post(
        reverse("actions:sign", args=[action.slug]), _letter_data(action)
    )

    assert response.status_code == 302
    signature = Signature.objects.get()
    assert (signature.first_name, signature.last_name, signature.country) == (
        "Thida",
        "",
        "",
    )
    assert Letter.objects.count() == 1


def test_a_letter_by_country_asks_for_the_country_even_when_optional(client):
    action = make_letter_action(by_country={"FR": make_recipient()})
    action.country_required = False
    action.save()

    response = client.post(
        reverse("actions:sign", args=[action.slug]), _letter_data(action)
    )

    assert "Please choose your country: who your letter goes to depends on it." in (
        html.unescape(response.content.decode())
    )
    assert Signature.objects.count() == Letter.objects.count() == 0


def test_a_letter_signed_with_one_name_and_no_country():
    block = signature_block(
        first_name="Thida", last_name="", postal_town="", country=""
    )

    assert block == "Thida"


# Who sees what, under the form.


def test_the_form_says_names_go_to_the_target(client, petition):
    page = _page(client, petition)

    assert f"Your name and country are given to {petition.target.name}" in page
    assert "In public we show only the number of signatures." in page
    assert "No names are published." in page
    assert f'href="{reverse("pages:privacy")}"' in page


def test_the_form_says_an_optional_country_goes_only_if_given(client, petition):
    petition.country_required = False
    petition.save()

    assert "Your name, and your country if you give it, are given to" in _page(
        client, petition
    )


@pytest.mark.parametrize(
    "setting", [{"names_to_target": False}, {"sensitive": True}], ids=str
)
def test_the_form_says_when_names_stay_with_us(client, statement, setting):
    petition = make_petition(statement, **setting)

    page = _page(client, petition)

    assert (
        f"Your name is not given to {petition.target.name}: they receive only "
        "the number of signatures."
    ) in page
    assert "are given to" not in page


def test_a_letter_action_says_the_letter_carries_name_and_address(client):
    action = make_letter_action()

    page = _page(client, action)

    assert (
        "Your letter goes to its recipients with your name, your town if you "
        "give it, your country and your email address"
    ) in page
    assert "In public we show only how many letters were sent." in page


def test_the_who_sees_what_note_follows_the_readers_language(client, petition):
    with translation.override("en"):  # put back after the French request
        response = client.get("/fr" + reverse("actions:sign", args=[petition.slug]))

    assert response.status_code == 200
    assert 'class="who-sees-what"' in response.content.decode()


# Names kept from the target stay out of delivery packs.


def test_no_pack_with_names_for_a_petition_whose_names_stay_with_us(statement):
    petition = make_petition(statement, names_to_target=False)
    user = User.objects.create_superuser("rita", "rita@example.org", "x")

    with pytest.raises(SensitiveNames) as refused:
        deliverypacks.request_pack(user=user, petition=petition, include_names=True)

    assert str(refused.value.args[0]) == str(NAMES_KEPT_REFUSAL)
    assert isinstance(refused.value, PermissionDenied)
    pack = deliverypacks.request_pack(user=user, petition=petition, include_names=False)
    assert not pack.include_names


# An empty country everywhere the signers' countries are counted.


def test_a_signer_without_country_is_counted_as_not_given(statement):
    petition = make_petition(statement, country_required=False)
    make_signature(petition, state=Signature.State.CONFIRMED, country="")
    make_signature(petition, state=Signature.State.CONFIRMED, country="KH")

    with translation.override("en"):
        board = dashboard.petition_dashboard(petition=petition)
        labels = sorted(str(label) for label, _n in board.by_country)

        assert labels == ["Cambodia", "Country not given"]
        assert document._country("") == "Country not given"
        assert document._country(OTHER_COUNTRIES) == "Other countries"
