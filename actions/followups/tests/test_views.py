import pytest
from django.core import signing
from django.urls import reverse

from actions.core.tokens import make_unsubscribe_token
from actions.followups import services
from actions.followups.models import FollowUpDelivery, Withdrawal
from actions.followups.tests.factories import make_recipient, make_scheduled
from actions.tests.factories import make_petition

pytestmark = pytest.mark.django_db

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def _urls(signature) -> tuple[str, str]:
    token = make_unsubscribe_token(signature.pk)
    return (
        reverse("actions:unsubscribe", kwargs={"token": token}),
        reverse("actions:email_preferences", kwargs={"token": token}),
    )


@pytest.fixture
def reader(petition):
    return make_recipient(petition)


@pytest.fixture
def csrf_client(client):
    """A client that enforces CSRF, as a real one does."""
    client.handler.enforce_csrf_checks = True
    return client


def test_opening_the_link_shows_a_button_and_changes_nothing(client, reader):
    unsubscribe, _ = _urls(reader)

    response = client.get(unsubscribe)

    assert response.status_code == 200
    page = response.content.decode()
    assert '<form method="post">' in page
    assert "Stop these updates" in page
    assert 'name="robots" content="noindex"' in page
    assert "no-cache" in response["Cache-Control"]
    assert not Withdrawal.objects.exists()


def test_a_mail_clients_one_click_post_unsubscribes_without_csrf(
    csrf_client, petition, reader
):
    follow_up = make_scheduled(petition)
    services.queue_deliveries(
        follow_up=follow_up, signatures=services.recipients(follow_up)
    )
    unsubscribe, _ = _urls(reader)

    response = csrf_client.post(unsubscribe, ONE_CLICK)

    # RFC 8058: answered directly, not redirected.
    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    withdrawal = Withdrawal.objects.get()
    assert withdrawal.canonical_email == reader.canonical_email
    assert withdrawal.petition == petition
    assert withdrawal.method == Withdrawal.Method.ONE_CLICK
    assert withdrawal.withdrawn_at is not None
    delivery = follow_up.deliveries.get()
    assert delivery.state == FollowUpDelivery.State.CANCELLED
    assert not services.recipients(follow_up).exists()


def test_the_pages_button_unsubscribes_and_shows_the_preferences(csrf_client, reader):
    unsubscribe, preferences = _urls(reader)

    response = csrf_client.post(unsubscribe)

    assert response.status_code == 302
    assert response["Location"] == preferences
    assert Withdrawal.objects.get().method == Withdrawal.Method.LINK
    page = csrf_client.get(preferences).content.decode()
    assert "You get no more updates about this petition." in page
    assert "Stop all updates" in page


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    "token",
    ["nonsense", "preview", signing.dumps(1, salt="actions.signature.confirm")],
)
def test_a_bad_link_says_so_and_changes_nothing(client, reader, method, token):
    url = reverse("actions:unsubscribe", kwargs={"token": token})

    response = getattr(client, method)(url, ONE_CLICK)

    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()
    assert not Withdrawal.objects.exists()


def test_an_expired_link_changes_nothing(client, reader, settings):
    unsubscribe, _ = _urls(reader)
    settings.UNSUBSCRIBE_MAX_AGE = -1

    response = client.post(unsubscribe, ONE_CLICK)

    assert response.status_code == 400
    assert not Withdrawal.objects.exists()


def test_a_link_to_a_signature_that_is_gone_changes_nothing(client, petition):
    token = make_unsubscribe_token(987654)

    response = client.post(reverse("actions:unsubscribe", kwargs={"token": token}))

    assert response.status_code == 400


def test_the_preferences_page_stops_all_updates(csrf_client, petition, reader):
    elsewhere = make_recipient(make_petition(), email=reader.email)
    _, preferences = _urls(reader)
    page = csrf_client.get(preferences)
    assert page.status_code == 200
    assert "You get updates about this petition." in page.content.decode()

    response = csrf_client.post(preferences, {"everything": "1"})

    assert response.status_code == 302
    withdrawal = Withdrawal.objects.get()
    assert withdrawal.petition is None
    assert withdrawal.method == Withdrawal.Method.PREFERENCES
    page = csrf_client.get(preferences).content.decode()
    assert "You get no updates about any petition you signed so far." in page
    for signature in (reader, elsewhere):
        follow_up = make_scheduled(signature.petition)
        assert not services.recipients(follow_up).exists()


def test_the_preferences_page_stops_one_petitions_updates(csrf_client, reader):
    _, preferences = _urls(reader)

    csrf_client.post(preferences, {"everything": "0"})

    assert Withdrawal.objects.get().petition == reader.petition


def test_a_preferences_post_without_a_choice_says_so(client, reader):
    _, preferences = _urls(reader)

    response = client.post(preferences, {"everything": "maybe"})

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Withdrawal.objects.exists()


def test_the_pages_load_nothing_from_other_sites(client, reader):
    for url in _urls(reader):
        page = client.get(url).content.decode()
        assert "http://" not in page.replace("http://testserver", "")
        assert "https://" not in page
