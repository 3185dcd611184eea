"""Settings read from the environment: the mail provider's webhook."""

import runpy
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

SETTINGS = Path(__file__).resolve().parent.parent / "settings.py"
ANYMAIL_ENV = (
    "ANYMAIL_PROVIDER",
    "ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY",
    "ANYMAIL_WEBHOOK_SECRET",
)


def _settings(monkeypatch, **env: str) -> dict:
    for name in (*ANYMAIL_ENV, "CAMPAIGN_ENV", "EMAIL_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


def test_no_provider_by_default_and_smtp_stays_the_mailer(monkeypatch):
    loaded = _settings(
        monkeypatch,
        CAMPAIGN_ENV="production",
        SECRET_KEY="s",
        DATABASE_URL="sqlite:///x",
        REDIS_URL="redis://h/0",
        SITE_URL="https://campaign.example.org",
    )

    assert loaded["ANYMAIL_PROVIDER"] == ""
    assert loaded["ANYMAIL"] == {}
    backend = loaded["MAILERS"]["default"]["BACKEND"]
    assert backend == "django.core.mail.backends.smtp.EmailBackend"


def test_mailgun_takes_its_signing_key_and_webhook_secret(monkeypatch):
    loaded = _settings(
        monkeypatch,
        ANYMAIL_PROVIDER="Mailgun",
        ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY="key",
        ANYMAIL_WEBHOOK_SECRET="user:password",
    )

    assert loaded["ANYMAIL_PROVIDER"] == "mailgun"
    assert loaded["ANYMAIL"] == {
        "MAILGUN_WEBHOOK_SIGNING_KEY": "key",
        "WEBHOOK_SECRET": "user:password",
    }


def test_mailgun_without_a_signing_key_refuses_to_start(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="SIGNING_KEY"):
        _settings(monkeypatch, ANYMAIL_PROVIDER="mailgun")


@pytest.mark.parametrize("secret", ["", "no-colon"], ids=["unset", "not user:pass"])
def test_mailgun_without_a_webhook_secret_refuses_to_start(monkeypatch, secret):
    with pytest.raises(ImproperlyConfigured, match="needs ANYMAIL_WEBHOOK_SECRET"):
        _settings(
            monkeypatch,
            ANYMAIL_PROVIDER="mailgun",
            ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY="key",
            ANYMAIL_WEBHOOK_SECRET=secret,
        )


def test_an_unsupported_provider_refuses_to_start(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="not supported"):
        _settings(monkeypatch, ANYMAIL_PROVIDER="postmark")


def test_production_never_runs_beat_in_the_web_process(monkeypatch):
    loaded = _settings(
        monkeypatch,
        CAMPAIGN_ENV="production",
        SECRET_KEY="s",
        DATABASE_URL="sqlite:///x",
        REDIS_URL="redis://h/0",
        SITE_URL="https://campaign.example.org",
        RUN_BEAT_IN_PROCESS="1",
    )

    assert loaded["RUN_BEAT_IN_PROCESS"] is False


def test_development_without_a_broker_runs_beat_in_the_server(monkeypatch):
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "RUN_BEAT_IN_PROCESS"):
        monkeypatch.delenv(name, raising=False)

    assert _settings(monkeypatch)["RUN_BEAT_IN_PROCESS"] is True
    assert (
        _settings(monkeypatch, RUN_BEAT_IN_PROCESS="0")["RUN_BEAT_IN_PROCESS"] is False
    )


def test_the_time_zone_is_utc_unless_set(monkeypatch):
    monkeypatch.delenv("TIME_ZONE", raising=False)

    assert _settings(monkeypatch)["TIME_ZONE"] == "UTC"
    monkeypatch.setenv("TIME_ZONE", "Africa/Nairobi")
    assert _settings(monkeypatch)["TIME_ZONE"] == "Africa/Nairobi"
