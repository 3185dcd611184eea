"""At-risk signer mode: what a sensitive petition asks, keeps and shows."""

import pytest
from django.core.cache import caches
from django.urls import reverse

from actions.counts import OTHER_COUNTRIES, country_counts_to_show
from actions.models import Petition, Signature
from actions.tests.factories import make_petition, petition_change_data, stamp_for

pytestmark = pytest.mark.django_db

NOTE = "Signing this petition may put people at risk"


@pytest.fixture
def sensitive(statement) -> Petition:
    return make_petition(statement, sensitive=True, retention_days=90)


def _sign_url(petition: Petition) -> str:
    return reverse("actions:sign", kwargs={"slug": petition.slug})


def _sign(client, petition, data, capture):
    # The form as served on this petition's page: its stamp is bound to it.
    with capture(execute=True):
        return client.post(_sign_url(petition), data | {"started": stamp_for(petition)})


# The form: email only, name optional


def test_the_form_of_a_sensitive_petition_asks_for_an_optional_name(client, sensitive):
    page = client.get(_sign_url(sensitive)).content.decode()

    assert "Name or initials (optional)" in page
    assert "you may give initials or a display name" in page
    assert 'name="first_name"' in page
    assert 'name="last_name"' not in page
    assert 'name="email"' in page
    assert 'name="country"' in page


def test_the_form_of_an_ordinary_petition_still_asks_for_both_names(client, petition):
    page = client.get(_sign_url(petition)).content.decode()

    assert 'name="last_name"' in page
    assert "Name or initials (optional)" not in page


def test_a_signer_of_a_sensitive_petition_signs_with_email_and_country_only(
    client, sensitive, sign_data, mailoutbox, django_capture_on_commit_callbacks
):
    data = sign_data | {"first_name": "", "last_name": ""}

    response = _sign(client, sensitive, data, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    signature = Signature.objects.get()
    assert (signature.first_name, signature.last_name) == ("", "")
    assert (signature.email, signature.country) == ("ada@example.org", "KH")
    assert signature.state == Signature.State.PENDING
    assert len(mailoutbox) == 1
    assert mailoutbox[0].body.startswith("Hello,")
    assert "Dear ," not in mailoutbox[0].body


def test_initials_are_kept_as_the_name_and_a_last_name_posted_is_not(
    client, sensitive, sign_data, django_capture_on_commit_callbacks
):
    data = sign_data | {"first_name": " A.\tL. ", "last_name": "Lovelace"}

    _sign(client, sensitive, data, django_capture_on_commit_callbacks)

    signature = Signature.objects.get()
    assert (signature.first_name, signature.last_name) == ("A. L.", "")


def test_a_name_of_control_characters_only_counts_as_no_name(
    client, sensitive, sign_data, django_capture_on_commit_callbacks
):
    data = sign_data | {"first_name": "\x07\u200b\x1b"}

    response = _sign(client, sensitive, data, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert Signature.objects.get().first_name == ""


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "", "This field is required."),
        ("country", "", "Please choose your country."),
    ],
)
def test_email_and_country_stay_required_on_a_sensitive_petition(
    client, sensitive, sign_data, field, value, message
):
    response = client.post(_sign_url(sensitive), sign_data | {field: value})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Signature.objects.exists()


def test_an_ordinary_petition_still_needs_a_name(client, petition, sign_data):
    response = client.post(_sign_url(petition), sign_data | {"first_name": ""})

    assert response.status_code == 200
    assert not Signature.objects.exists()


def test_the_cached_form_changes_when_a_petition_becomes_sensitive(client, petition):
    client.get(petition.statement.get_absolute_url())  # caches the form
    Petition.objects.filter(pk=petition.pk).update(sensitive=True)
    caches["rows"].clear()
    caches["pages"].clear()  # the page itself; the form fragment stays

    page = client.get(petition.statement.get_absolute_url()).content.decode()

    assert "Name or initials (optional)" in page
    assert 'name="last_name"' not in page


# The note


def test_the_petition_and_statement_pages_say_what_is_kept_and_who_sees_it(
    client, sensitive
):
    for url in (_sign_url(sensitive), sensitive.statement.get_absolute_url()):
        page = client.get(url).content.decode()
        assert NOTE in page
        assert "We do not keep your internet address." in page
        assert "Only a few of our staff can see who signed" in page
        assert "never given to the target" in page
        assert "erased 90 days after the petition closes" in page


def test_an_ordinary_petition_shows_no_note(client, petition):
    assert NOTE not in client.get(_sign_url(petition)).content.decode()


# No client hash stored


def test_a_sensitive_petitions_signature_stores_no_client_hash(
    client, sensitive, petition, sign_data, django_capture_on_commit_callbacks
):
    _sign(client, sensitive, sign_data, django_capture_on_commit_callbacks)
    _sign(client, petition, sign_data, django_capture_on_commit_callbacks)

    assert Signature.objects.get(petition=sensitive).client_hash == ""
    assert Signature.objects.get(petition=petition).client_hash != ""


def test_rate_limits_still_hold_on_a_sensitive_petition(
    client, sensitive, sign_data, settings, django_capture_on_commit_callbacks
):
    # The hourly limit: a strong signal keeps the attempt as suspect (the
    # short-term one asks for one more step instead).
    settings.ABUSE_BURST_LIMIT = 100
    settings.ABUSE_SUSTAINED_LIMIT = 2
    for n in range(3):
        data = sign_data | {"email": f"signer{n}@example.org"}
        _sign(client, sensitive, data, django_capture_on_commit_callbacks)

    rows = Signature.objects.order_by("pk")
    assert [s.state for s in rows] == ["pending", "pending", "suspect"]
    assert rows.last().suspect_reason == Signature.SuspectReason.SUSTAINED_LIMIT
    assert {s.client_hash for s in rows} == {""}


# Shorter retention by default


def _save_in_admin(admin_client, petition, **fields):
    url = reverse("admin:actions_petition_change", args=[petition.pk])
    response = admin_client.post(url, petition_change_data(petition, **fields))
    assert response.status_code == 302, response.context["adminform"].form.errors
    petition.refresh_from_db()


def test_a_petition_made_sensitive_gets_the_shorter_retention(
    admin_client, petition, settings
):
    settings.SENSITIVE_RETENTION_DAYS = 60

    _save_in_admin(admin_client, petition, sensitive="on", retention_days="")

    assert (petition.sensitive, petition.retention_days) == (True, 60)


def test_a_retention_given_with_it_is_kept(admin_client, petition):
    _save_in_admin(admin_client, petition, sensitive="on", retention_days="400")

    assert petition.retention_days == 400


def test_a_superuser_may_then_empty_the_retention_of_a_sensitive_petition(
    admin_client, sensitive
):
    _save_in_admin(admin_client, sensitive, sensitive="on", retention_days="")

    assert (sensitive.sensitive, sensitive.retention_days) == (True, None)


def test_an_ordinary_petition_keeps_an_empty_retention(admin_client, petition):
    _save_in_admin(admin_client, petition, retention_days="")

    assert petition.retention_days is None


# Per-country counts shown outside


def test_small_countries_of_a_sensitive_petition_are_added_up(settings):
    settings.PUBLIC_COUNTRY_COUNT_MIN = 10
    rows = [("KH", 40), ("FR", 10), ("ER", 9), ("TH", 1)]

    assert country_counts_to_show(rows, sensitive=True) == [
        ("KH", 40),
        ("FR", 10),
        (OTHER_COUNTRIES, 10),
    ]
    assert country_counts_to_show(rows, sensitive=False) == rows
    assert country_counts_to_show(rows[:2], sensitive=True) == rows[:2]
