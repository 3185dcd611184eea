from datetime import timedelta

import pytest
from django.utils import timezone

from statements.models import Statement
from statements.tasks import publish_scheduled_statements
from statements.tests.factories import make_statement

pytestmark = pytest.mark.django_db


def test_task_publishes_due_scheduled_statements_and_leaves_future_ones():
    past = timezone.now() - timedelta(minutes=5)
    due = make_statement(state=Statement.State.SCHEDULED, publish_at=past)
    future = make_statement(
        state=Statement.State.SCHEDULED, publish_at=timezone.now() + timedelta(days=1)
    )

    assert publish_scheduled_statements() == 1

    due.refresh_from_db()
    future.refresh_from_db()
    assert (due.state, due.published_at) == (Statement.State.PUBLISHED, past)
    assert future.state == Statement.State.SCHEDULED


def test_task_is_safe_to_run_twice():
    make_statement(
        state=Statement.State.SCHEDULED, publish_at=timezone.now() - timedelta(hours=1)
    )

    publish_scheduled_statements()
    publish_scheduled_statements()

    assert Statement.objects.filter(state=Statement.State.PUBLISHED).count() == 1
