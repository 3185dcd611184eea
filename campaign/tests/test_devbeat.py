"""The beat schedule inside the development server (campaign.devbeat)."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from actions.models import Petition
from actions.tests.factories import make_petition
from campaign import devbeat
from campaign.celery import app as celery_app

SCHEDULE = {
    "run-petition-schedule": {
        "task": "actions.tasks.run_petition_schedule",
        "schedule": 60.0,
    }
}


@pytest.mark.parametrize(
    ("argv", "environ", "wanted"),
    [
        (["manage.py", "runserver", "127.0.0.1:8000"], {"RUN_MAIN": "true"}, True),
        (["manage.py", "runserver", "--noreload"], {}, True),
        # The autoreloader's parent process serves nothing.
        (["manage.py", "runserver"], {}, False),
        (["pytest", "-q"], {"RUN_MAIN": "true"}, False),
        (["manage.py", "migrate"], {"RUN_MAIN": "true"}, False),
        (["celery", "-A", "campaign", "worker"], {}, False),
    ],
)
@override_settings(RUN_BEAT_IN_PROCESS=True)  # off where REDIS_URL is set
def test_beat_runs_in_the_development_server_only(argv, environ, wanted):
    assert devbeat.is_wanted(argv, environ) is wanted


@override_settings(RUN_BEAT_IN_PROCESS=False)
def test_the_setting_turns_the_in_process_beat_off():
    assert not devbeat.is_wanted(["manage.py", "runserver", "--noreload"], {})


@pytest.mark.django_db
@override_settings(CELERY_BEAT_SCHEDULE=SCHEDULE)
def test_due_jobs_run_in_process_once_per_interval(statement):
    now = timezone.now()
    petition = make_petition(
        statement,
        opens_at=now - timedelta(hours=2),
        closes_at=now - timedelta(hours=1),
    )
    last_runs: dict = {}

    assert devbeat.run_due(celery_app, last_runs) == ["run-petition-schedule"]
    assert devbeat.run_due(celery_app, last_runs) == []

    petition.refresh_from_db()
    assert petition.state == Petition.State.CLOSED
