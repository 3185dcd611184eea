from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from statements.models import Statement
from statements.tests.factories import make_quote, make_statement

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)


def test_published_lists_published_statements_whose_time_has_come():
    shown = make_statement(state=Statement.State.PUBLISHED)

    assert list(Statement.objects.published()) == [shown]


def test_published_never_lists_drafts():
    make_statement(state=Statement.State.DRAFT, publish_at=None)
    make_statement(state=Statement.State.DRAFT, publish_at=timezone.now() - HOUR)

    assert not Statement.objects.published().exists()
    assert not Statement.objects.visible().exists()


def test_scheduled_statement_is_published_only_once_due():
    due = make_statement(
        state=Statement.State.SCHEDULED, publish_at=timezone.now() - HOUR
    )
    make_statement(state=Statement.State.SCHEDULED, publish_at=timezone.now() + HOUR)

    assert list(Statement.objects.published()) == [due]
    assert list(Statement.objects.visible()) == [due]


def test_archived_statement_is_visible_but_not_published():
    archived = make_statement(
        state=Statement.State.ARCHIVED, archived_at=timezone.now()
    )

    assert not Statement.objects.published().exists()
    assert list(Statement.objects.visible()) == [archived]


def test_published_lists_newest_first():
    older = make_statement(publish_at=timezone.now() - 2 * HOUR)
    newer = make_statement(publish_at=timezone.now() - HOUR)

    assert list(Statement.objects.published()) == [newer, older]


def test_publishing_a_draft_without_a_time_publishes_it_now():
    draft = make_statement(state=Statement.State.DRAFT, publish_at=None)

    assert draft.publish() is True

    draft.refresh_from_db()
    assert draft.state == Statement.State.PUBLISHED
    assert draft.published_at is not None
    assert draft.publish_at <= timezone.now()
    assert draft.is_public


def test_publishing_a_draft_with_a_future_time_schedules_it():
    publish_at = timezone.now() + HOUR
    draft = make_statement(state=Statement.State.DRAFT, publish_at=publish_at)

    assert draft.publish() is True

    draft.refresh_from_db()
    assert draft.state == Statement.State.SCHEDULED
    assert draft.publish_at == publish_at
    assert draft.published_at is None
    assert not Statement.objects.published().exists()


def test_publishing_a_public_statement_again_changes_nothing(statement):
    publish_at = statement.publish_at

    assert statement.publish() is False

    statement.refresh_from_db()
    assert statement.publish_at == publish_at


def test_archiving_takes_a_statement_off_the_lists_and_stamps_the_time(statement):
    statement.archive()

    statement.refresh_from_db()
    assert statement.state == Statement.State.ARCHIVED
    assert statement.archived_at is not None
    assert not Statement.objects.published().exists()
    assert Statement.objects.visible().get() == statement


@pytest.mark.parametrize(
    "state", [Statement.State.PUBLISHED, Statement.State.SCHEDULED]
)
def test_public_statement_without_publish_time_is_refused_by_the_database(state):
    with pytest.raises(IntegrityError):
        make_statement(state=state, publish_at=None)


def test_draft_may_have_no_publish_time():
    draft = make_statement(state=Statement.State.DRAFT, publish_at=None)

    assert draft.pk is not None


def test_second_pull_quote_is_refused_by_the_database(statement):
    make_quote(statement, is_pull_quote=True)

    with pytest.raises(IntegrityError):
        make_quote(statement, is_pull_quote=True)


def test_each_statement_may_have_its_own_pull_quote(statement):
    other = make_statement()
    make_quote(statement, is_pull_quote=True)
    make_quote(other, is_pull_quote=True)

    assert statement.pull_quote is not None
    assert other.pull_quote is not None


def test_pull_quote_is_the_quote_marked_as_such(statement):
    make_quote(statement, text="First.")
    pull = make_quote(statement, text="Pulled.", is_pull_quote=True)

    assert statement.pull_quote == pull


def test_pull_quote_is_none_without_a_marked_quote(statement):
    make_quote(statement)

    assert statement.pull_quote is None
