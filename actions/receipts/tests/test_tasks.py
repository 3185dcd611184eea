"""The beat job and the verify_receipts command."""

from datetime import UTC, timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from actions.models import Signature
from actions.privacy.services import erase
from actions.receipts.models import DailyRoot
from actions.receipts.tasks import commit_receipt_roots
from actions.receipts.tests.factories import committed, confirmed_on

pytestmark = pytest.mark.django_db


def test_beat_runs_the_commit_job():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "actions.tasks.commit_receipt_roots" in tasks


def test_the_job_commits_finished_days(petition):
    two_days_ago = timezone.now().astimezone(UTC).date() - timedelta(days=2)
    confirmed_on(petition, 3, two_days_ago)
    confirmed_on(petition, 1, two_days_ago + timedelta(days=2))  # today

    assert commit_receipt_roots() == 1
    assert commit_receipt_roots() == 0
    assert DailyRoot.objects.get().size == 3


def _verify() -> str:
    out = StringIO()
    call_command("verify_receipts", stdout=out)
    return out.getvalue()


def test_verify_receipts_reports_success(petition):
    confirmed_on(petition, 2)
    committed()

    assert "1 days checked, 0 do not match." in _verify()


def test_verify_receipts_fails_on_a_signature_added_to_a_committed_day(petition):
    confirmed_on(petition, 2)
    committed()
    confirmed_on(petition, 1)

    with pytest.raises(CommandError) as raised:
        _verify()

    assert raised.value.returncode == 1
    assert "1 days checked, 1 do not match." in str(raised.value)


def test_verify_receipts_names_the_day_and_the_signatures(petition):
    first, _ = confirmed_on(petition, 2)
    committed()
    Signature.objects.filter(pk=first.pk).delete()
    out = StringIO()

    with pytest.raises(CommandError):
        call_command("verify_receipts", stdout=out)

    assert "2026-11-02: does not match its published root" in out.getvalue()
    assert f"Signatures missing: {first.pk}; signatures added: -." in out.getvalue()


def test_verify_receipts_passes_after_an_erasure(petition):
    signatures = confirmed_on(petition, 2)
    committed()

    erase(signature=signatures[0])

    assert "0 do not match" in _verify()
