from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from actions.abuse import tasks
from actions.abuse.models import SignatureFlag
from actions.tests.factories import make_signature
from campaign.celery import app

pytestmark = pytest.mark.django_db


def test_the_hourly_job_flags_a_busy_client(petition, settings):
    settings.ABUSE_FLAG_THRESHOLD = 2
    last_hour = timezone.now() - timedelta(hours=1)
    for n in range(3):
        make_signature(
            petition,
            email=f"s@d{n}.example",
            client_hash="ab" * 16,
            created_at=last_hour,
        )

    written = tasks.flag_busy_sources.delay().get()

    assert written == 1
    flag = SignatureFlag.objects.get()
    assert (flag.kind, flag.value, flag.count) == ("client", "ab" * 16, 3)
    assert tasks.flag_busy_sources.delay().get() == 1  # the same flag, once
    assert SignatureFlag.objects.count() == 1


def test_beat_runs_the_job_every_hour():
    entry = settings.CELERY_BEAT_SCHEDULE["flag-busy-sources"]

    assert entry["schedule"] == 3600.0
    assert entry["task"] in app.tasks
