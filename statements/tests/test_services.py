from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.utils import timezone

from staff.audit import SYSTEM_USERNAME, TRANSITION, logged
from statements.models import Statement
from statements.services import publish_scheduled_statements, render_markdown
from statements.tests.factories import make_statement

HOUR = timedelta(hours=1)


def test_markdown_removes_script_tags():
    html = render_markdown("Hello <script>alert('x')</script> world")

    assert "<script" not in html
    assert "Hello" in html


def test_markdown_drops_event_handler_attributes():
    html = render_markdown('<img src="x" onerror="alert(1)"> <b onclick="x()">b</b>')

    assert "onerror" not in html
    assert "onclick" not in html
    assert "<b>b</b>" in html


@pytest.mark.parametrize(
    "text",
    [
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](&#106;avascript:alert(1))",
        '<a href="  javascript:alert(1)">click</a>',
        "[click](data:text/html,<script>alert(1)</script>)",
    ],
)
def test_markdown_makes_script_links_inert(text):
    html = render_markdown(text)

    assert "href" not in html
    assert "click" in html


def test_markdown_removes_iframes():
    html = render_markdown(
        '<iframe src="https://evil.example"></iframe>'
        '<iframe srcdoc="<script>x()</script>"></iframe>text'
    )

    assert "<iframe" not in html
    assert "evil.example" not in html
    assert "<script" not in html


def test_markdown_links_get_rel_noopener():
    html = render_markdown("[the report](https://example.org/report)")

    assert 'href="https://example.org/report"' in html
    assert 'rel="noopener noreferrer"' in html


def test_markdown_keeps_headings_lists_and_emphasis():
    html = render_markdown("## Demands\n\n- *one*\n- **two**\n\n1. first\n")

    assert "<h2>Demands</h2>" in html
    assert "<ul>" in html and "<ol>" in html
    assert "<em>one</em>" in html
    assert "<strong>two</strong>" in html


@pytest.mark.django_db
def test_due_scheduled_statements_become_published_at_their_time():
    publish_at = timezone.now() - HOUR
    due = make_statement(state=Statement.State.SCHEDULED, publish_at=publish_at)

    assert publish_scheduled_statements() == 1

    due.refresh_from_db()
    assert due.state == Statement.State.PUBLISHED
    assert due.published_at == publish_at


@pytest.mark.django_db
def test_future_scheduled_statements_stay_scheduled():
    future = make_statement(
        state=Statement.State.SCHEDULED, publish_at=timezone.now() + HOUR
    )

    assert publish_scheduled_statements() == 0

    future.refresh_from_db()
    assert future.state == Statement.State.SCHEDULED
    assert future.published_at is None


@pytest.mark.django_db
def test_publishing_scheduled_statements_twice_is_harmless():
    make_statement(state=Statement.State.SCHEDULED, publish_at=timezone.now() - HOUR)
    draft = make_statement(state=Statement.State.DRAFT, publish_at=None)

    publish_scheduled_statements()

    assert publish_scheduled_statements() == 0
    draft.refresh_from_db()
    assert draft.state == Statement.State.DRAFT


@pytest.mark.django_db
def test_each_statement_the_schedule_publishes_is_logged_as_the_system_user():
    due = make_statement(state=Statement.State.SCHEDULED, publish_at=timezone.now())

    publish_scheduled_statements()

    entry = LogEntry.objects.get()
    assert entry.object_id == str(due.pk)
    assert entry.user.username == SYSTEM_USERNAME
    assert logged(entry, TRANSITION) == {
        "name": "publish",
        "from": "scheduled",
        "to": "published",
    }
