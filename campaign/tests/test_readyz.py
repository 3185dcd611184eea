"""/readyz: the database, Redis and the broker, each checked for real."""

import json

import pytest
from django.urls import reverse

from campaign.tests.conftest import closed_port

pytestmark = pytest.mark.django_db


def _ready(client) -> tuple[int, dict]:
    response = client.get(reverse("readyz"))
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    return response.status_code, json.loads(response.content)


def test_readyz_says_ok_when_every_service_answers(client):
    status, body = _ready(client)

    assert status == 200
    assert body["status"] == "ok"
    assert body["failed"] == []
    assert body["checks"]["database"] == "ok"


def test_readyz_names_the_database_when_it_cannot_be_reached(client, database_down):
    with database_down():
        status, body = _ready(client)

    assert status == 503
    assert body["failed"] == ["database"]


def test_readyz_names_redis_and_the_broker_without_giving_their_address(
    client, settings
):
    nowhere = f"redis://:secret-password@127.0.0.1:{closed_port()}/3"
    settings.REDIS_URL = settings.CELERY_BROKER_URL = nowhere
    settings.CELERY_TASK_ALWAYS_EAGER = False

    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["failed"] == ["broker", "redis"]
    assert body["checks"]["database"] == "ok"
    text = response.content.decode()
    assert "secret-password" not in text and "127.0.0.1" not in text
