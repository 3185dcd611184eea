from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from actions.outbox.models import OutboundEmail
from actions.tests.factories import make_signature

pytestmark = pytest.mark.django_db

State = OutboundEmail.State


def _email(signature, *, state: str, age: timedelta, **fields) -> OutboundEmail:
    return OutboundEmail.objects.create(
        kind=OutboundEmail.Kind.CONFIRM,
        to_email=signature.email,
        signature=signature,
        state=state,
        created_at=timezone.now() - age,
        sent_at=timezone.now() if state == State.SENT else None,
        lease_until=timezone.now() if state == State.SENDING else None,
        **fields,
    )


def _status() -> list[str]:
    out = StringIO()
    call_command("outbox_status", stdout=out)
    return out.getvalue().splitlines()


def test_outbox_status_counts_each_state_by_age_and_names_the_oldest_waiting(petition):
    signature = make_signature(petition, email="ada@example.org")
    _email(signature, state=State.SENT, age=timedelta(seconds=5))
    _email(signature, state=State.SENT, age=timedelta(days=3))
    _email(signature, state=State.QUEUED, age=timedelta(seconds=30))
    _email(signature, state=State.SENDING, age=timedelta(minutes=20))
    oldest = _email(
        signature,
        state=State.QUEUED,
        age=timedelta(hours=2),
        attempts=3,
        last_error="SMTPRecipientsRefused({'ada@example.org': (451, b'try later')})",
    )

    lines = _status()

    assert lines[0].split() == [
        "state", "total", "<1m", "1-10m", "10-60m", "1-24h", ">24h"
    ]  # fmt: skip
    table = {line.split()[0]: line.split()[1:] for line in lines[1:5]}
    assert table == {
        "queued": ["2", "1", "0", "0", "1", "0"],
        "sending": ["1", "0", "0", "1", "0", "0"],
        "sent": ["2", "1", "0", "0", "0", "1"],
        "failed": ["0", "0", "0", "0", "0", "0"],
    }
    assert lines[5].startswith(
        f"Oldest waiting: #{oldest.pk} confirm (queued), 2.0 h old, "
        "3 attempts, last error: "
    )
    assert "<address>" in lines[5]
    assert "ada@example.org" not in "\n".join(lines)


def test_outbox_status_says_when_nothing_waits(petition):
    _email(make_signature(petition), state=State.SENT, age=timedelta(0))

    assert _status()[-1] == "No email is waiting."
