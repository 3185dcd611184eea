"""Production refuses to start without the address its emailed links use."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from campaign.tests.test_settings import _settings

PRODUCTION = {
    "CAMPAIGN_ENV": "production",
    "SECRET_KEY": "s",
    "DATABASE_URL": "sqlite:///x",
    "REDIS_URL": "redis://h/0",
}


@pytest.mark.parametrize("site_url", ["", "campaign.example.org"])
def test_production_without_a_site_url_refuses_to_start(monkeypatch, site_url):
    monkeypatch.setenv("SITE_URL", site_url)

    with pytest.raises(ImproperlyConfigured, match="SITE_URL must be set when"):
        _settings(monkeypatch, **PRODUCTION)


def test_production_takes_its_site_url(monkeypatch):
    loaded = _settings(monkeypatch, **PRODUCTION, SITE_URL="https://c.example.org/")

    assert loaded["SITE_URL"] == "https://c.example.org"


def test_development_defaults_to_the_local_server(monkeypatch):
    monkeypatch.delenv("SITE_URL", raising=False)

    assert _settings(monkeypatch)["SITE_URL"] == "http://127.0.0.1:8000"
