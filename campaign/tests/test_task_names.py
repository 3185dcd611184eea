"""Tasks keep the names they were first queued under, whatever module holds
them now: a message queued before a deploy still runs after it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from celery import current_app
from django.conf import settings

from actions.outbox.models import OutboundEmail
from actions.tests.factories import make_signature

ROOT = Path(__file__).resolve().parent.parent.parent
# The names every task had before the features became apps (module paths of
# actions/tasks.py and statements/tasks.py): messages in queues carry these.
NAMES_IN_QUEUES = {
    "actions.tasks.send_email",
    "actions.tasks.requeue_stale_emails",
    "actions.tasks.build_signature_export",
    "actions.tasks.delete_expired_exports",
    "actions.tasks.start_follow_up",
    "actions.tasks.send_follow_up_batch",
    "actions.tasks.run_follow_ups",
    "actions.tasks.send_data_link",
    "actions.tasks.anonymise_expired_signatures",
    "actions.tasks.flag_busy_sources",
    "statements.tasks.publish_scheduled_statements",
    # Added since, in actions/tasks.py.
    "actions.tasks.run_petition_schedule",
    # Added with the delivery packs (their own names from the start).
    "actions.tasks.build_delivery_pack",
    "actions.tasks.delete_expired_delivery_packs",
    # Added with the signature receipts.
    "actions.tasks.commit_receipt_roots",
    # A signing of a known address, finished after the response.
    "actions.tasks.sign_again",
    # Letters' delivery (their own names from the start).
    "actions.tasks.send_letter_batch",
    "actions.tasks.send_letter_digest",
    "actions.tasks.run_letters",
}
OURS = ("actions.", "statements.", "campaign.", "staff.")


def _registered() -> set[str]:
    return {name for name in current_app.tasks if name.startswith(OURS)}


def test_every_task_answers_to_the_name_it_was_queued_under():
    assert _registered() == NAMES_IN_QUEUES


def test_every_routed_and_scheduled_task_exists():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert set(settings.CELERY_TASK_ROUTES) | scheduled <= _registered()


def test_a_web_process_knows_every_task_without_importing_one():
    """Services enqueue by name: a fresh process has them all registered."""
    script = (
        "import django; django.setup(); from celery import current_app; "
        "print(' '.join(sorted(n for n in current_app.tasks "
        "if n.startswith(('actions.', 'statements.')))))"
    )
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "campaign.settings"}
    output = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert set(output) == NAMES_IN_QUEUES


@pytest.mark.django_db
def test_an_email_queued_under_the_old_name_is_sent(petition, mailoutbox):
    signature = make_signature(petition, email="ada@example.org")
    outbound = OutboundEmail.objects.create(
        kind=OutboundEmail.Kind.CONFIRM, to_email=signature.email, signature=signature
    )

    current_app.tasks["actions.tasks.send_email"].delay(outbound.pk)

    outbound.refresh_from_db()
    assert outbound.state == OutboundEmail.State.SENT
    assert [m.to for m in mailoutbox] == [["ada@example.org"]]
