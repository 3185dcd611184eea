"""The mail provider's tracking webhook fills the suppression list."""

import base64
import importlib

import pytest
from anymail.signals import tracking
from django.urls import NoReverseMatch, clear_url_caches, reverse

import campaign.urls
from actions.consent.services import updates_wording
from actions.outbox.models import OutboundEmail
from actions.outbox.tasks import send_email
from actions.services import sign_petition
from actions.suppressions.models import Suppression
from actions.suppressions.tests import mailgun
from actions.tests.smtp import Mailbox, smtp_mailers, smtp_server

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider(settings):
    """Set ANYMAIL_PROVIDER and build the URLs again, as at start-up."""
    original = settings.ANYMAIL_PROVIDER

    def mount(name: str) -> None:
        settings.ANYMAIL_PROVIDER = name
        importlib.reload(campaign.urls)
        clear_url_caches()

    yield mount
    mount(original)


@pytest.fixture
def webhook(settings, provider):
    """The URL of the Mailgun tracking webhook, configured as from the env."""
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": mailgun.SIGNING_KEY}
    provider("mailgun")
    return reverse("mailgun_tracking_webhook")


def _post(client, url: str, payload: dict, **headers: str):
    return client.post(url, payload, content_type="application/json", **headers)


def test_a_signed_hard_bounce_suppresses_the_address(client, webhook):
    payload = mailgun.signed(mailgun.hard_bounce("Ada.Lovelace@Gmail.com"))

    response = _post(client, webhook, payload)

    assert response.status_code == 200
    suppression = Suppression.objects.get()
    assert suppression.canonical_email == "adalovelace@gmail.com"
    assert suppression.reason == Suppression.Reason.BOUNCED
    assert suppression.provider == "Mailgun"
    assert suppression.event_id == payload["signature"]["token"]
    assert "does not exist" in suppression.description


def test_a_signed_spam_complaint_suppresses_the_address(client, webhook):
    response = _post(client, webhook, mailgun.signed(mailgun.complaint("a@b.org")))

    assert response.status_code == 200
    assert Suppression.objects.get().reason == Suppression.Reason.COMPLAINED


@pytest.mark.parametrize(
    "payload",
    [
        mailgun.signed(mailgun.hard_bounce("ada@example.org"), key="a-guessed-key"),
        {"event-data": mailgun.hard_bounce("ada@example.org")},
        {"signature": {}, "event-data": mailgun.hard_bounce("ada@example.org")},
    ],
    ids=["wrong key", "no signature", "empty signature"],
)
def test_a_bad_or_missing_signature_is_refused_and_records_nothing(
    client, webhook, payload
):
    response = _post(client, webhook, payload)

    assert response.status_code == 400
    assert not Suppression.objects.exists()


def test_a_signature_for_another_timestamp_is_refused(client, webhook):
    payload = mailgun.signed(mailgun.hard_bounce("ada@example.org"))
    payload["signature"]["timestamp"] = str(int(payload["signature"]["timestamp"]) + 1)

    response = _post(client, webhook, payload)

    assert response.status_code == 400
    assert not Suppression.objects.exists()


def test_a_body_that_is_not_json_is_refused(client, webhook):
    response = client.post(webhook, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert not Suppression.objects.exists()


def test_a_fresh_signed_event_is_accepted_and_the_same_event_again_refused(
    client, webhook
):
    payload = mailgun.signed(mailgun.hard_bounce("ada@example.org"), age=60)

    first = _post(client, webhook, payload)
    second = _post(client, webhook, payload)
    third = _post(client, webhook, payload)

    assert first.status_code == 200
    assert second.status_code == third.status_code == 400
    assert Suppression.objects.get().canonical_email == "ada@example.org"


def test_a_replay_under_another_event_body_is_refused(client, webhook):
    """The signature covers only the timestamp and token: a captured one
    must not carry a different recipient in."""
    payload = mailgun.signed(mailgun.hard_bounce("ada@example.org"))
    forged = payload | {"event-data": mailgun.hard_bounce("grace@example.org")}

    assert _post(client, webhook, payload).status_code == 200
    assert _post(client, webhook, forged).status_code == 400
    assert list(Suppression.objects.values_list("canonical_email", flat=True)) == [
        "ada@example.org"
    ]


@pytest.mark.parametrize(
    "age", [20 * 60, 11 * 60, -20 * 60], ids=["20 min", "11 min", "ahead"]
)
def test_an_event_signed_outside_the_freshness_window_is_refused(client, webhook, age):
    payload = mailgun.signed(mailgun.hard_bounce("ada@example.org"), age=age)

    response = _post(client, webhook, payload)

    assert response.status_code == 400
    assert not Suppression.objects.exists()


def test_a_refused_forgery_does_not_use_up_the_real_events_token(client, webhook):
    payload = mailgun.signed(mailgun.hard_bounce("ada@example.org"))
    forged = mailgun.signed(
        mailgun.hard_bounce("ada@example.org"),
        key="a-guessed-key",
        token=payload["signature"]["token"],
    )

    assert _post(client, webhook, forged).status_code == 400
    assert _post(client, webhook, payload).status_code == 200
    assert Suppression.objects.count() == 1


def test_without_redis_the_event_is_refused_for_a_retry(client, webhook, settings):
    """Fail closed: with no memory of the tokens seen, nothing is accepted;
    Mailgun retries an event answered with a 5xx."""
    settings.CACHES = settings.CACHES | {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    payload = mailgun.signed(mailgun.hard_bounce("ada@example.org"))

    response = _post(client, webhook, payload)

    assert response.status_code == 503
    assert not Suppression.objects.exists()


def test_a_second_bounce_of_the_same_address_adds_nothing(client, webhook):
    _post(client, webhook, mailgun.signed(mailgun.hard_bounce("ada@example.org")))
    _post(client, webhook, mailgun.signed(mailgun.hard_bounce("ADA@example.org")))
    _post(client, webhook, mailgun.signed(mailgun.complaint("ada@example.org")))

    reasons = Suppression.objects.values_list("reason", flat=True)
    assert sorted(reasons) == ["bounced", "complained"]


@pytest.mark.parametrize(
    "data",
    [mailgun.soft_bounce("ada@example.org"), mailgun.delivered("ada@example.org")],
    ids=["soft bounce", "delivered"],
)
def test_soft_bounces_and_other_events_suppress_nothing(client, webhook, data):
    response = _post(client, webhook, mailgun.signed(data))

    assert response.status_code == 200
    assert not Suppression.objects.exists()


def test_only_post_is_accepted(client, webhook):
    assert client.get(webhook).status_code == 405
    assert not Suppression.objects.exists()


def test_without_a_provider_there_is_no_webhook(client, provider):
    provider("")

    with pytest.raises(NoReverseMatch):
        reverse("mailgun_tracking_webhook")
    payload = mailgun.signed(mailgun.hard_bounce("ada@example.org"))
    assert _post(client, "/anymail/mailgun/tracking/", payload).status_code == 404
    assert not Suppression.objects.exists()


def test_after_a_bounce_no_confirmation_email_reaches_the_address(
    client, webhook, petition, settings, django_capture_on_commit_callbacks
):
    _post(client, webhook, mailgun.signed(mailgun.hard_bounce("ada@example.org")))
    mailbox = Mailbox()

    with smtp_server(mailbox) as port:
        settings.MAILERS = smtp_mailers(port)
        with django_capture_on_commit_callbacks(execute=True):
            for email in ("Ada@Example.org", "grace@example.org"):
                sign_petition(
                    petition=petition,
                    first_name="Ada",
                    last_name="Lovelace",
                    email=email,
                    country="KH",
                    wants_updates=False,
                    consent_wording=updates_wording(),
                )

    assert [rcpt for _, rcpt, _ in mailbox.envelopes] == [["grace@example.org"]]
    suppressed = OutboundEmail.objects.get(to_email="Ada@Example.org")
    assert suppressed.state == OutboundEmail.State.FAILED
    assert suppressed.failed_at is not None
    assert "suppression list" in suppressed.last_error
    # Running the task again sends nothing either.
    send_email(suppressed.pk)
    assert len(mailbox.envelopes) == 1


def test_with_a_webhook_secret_a_signed_event_also_needs_the_password(
    client, webhook, settings
):
    settings.ANYMAIL = settings.ANYMAIL | {"WEBHOOK_SECRET": "mailgun:s3cret"}
    bounce = mailgun.hard_bounce("ada@example.org")
    right = "Basic " + base64.b64encode(b"mailgun:s3cret").decode()
    wrong = "Basic " + base64.b64encode(b"mailgun:guess").decode()

    without = _post(client, webhook, mailgun.signed(bounce))
    guessed = _post(client, webhook, mailgun.signed(bounce), HTTP_AUTHORIZATION=wrong)
    assert without.status_code == guessed.status_code == 400
    assert not Suppression.objects.exists()

    accepted = _post(client, webhook, mailgun.signed(bounce), HTTP_AUTHORIZATION=right)
    assert accepted.status_code == 200
    assert Suppression.objects.count() == 1


def test_an_event_that_failed_to_record_is_accepted_when_mailgun_retries(
    client, webhook
):
    """A token is used up only by an event recorded: Mailgun's retry of one
    that failed (a 500) gets in."""
    failures = ["once"]

    def fail_once(**kwargs: object) -> None:
        if failures:
            failures.pop()
            raise RuntimeError("database went away")

    tracking.connect(fail_once, dispatch_uid="test-fail-once")
    client.raise_request_exception = False
    payload = mailgun.signed(mailgun.hard_bounce("ada@example.org"))
    try:
        failed = _post(client, webhook, payload)
        retried = _post(client, webhook, payload)
    finally:
        tracking.disconnect(dispatch_uid="test-fail-once")

    assert failed.status_code == 500
    assert retried.status_code == 200
    assert Suppression.objects.count() == 1
