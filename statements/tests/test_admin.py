from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from actions.tests.factories import make_petition, make_staff
from staff.tests.otp import log_in_verified
from statements.models import Statement
from statements.tests.factories import make_quote, make_statement

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft():
    return make_statement(
        title="A draft on the visit", state=Statement.State.DRAFT, publish_at=None
    )


def test_superuser_opens_the_statement_changelist(admin_client, statement):
    preview = reverse("admin:statements_statement_preview", args=[statement.pk])

    response = admin_client.get(reverse("admin:statements_statement_changelist"))

    assert response.status_code == 200
    assert statement.title in response.text
    assert preview in response.text


def test_superuser_opens_the_add_form_with_inlines(admin_client):
    response = admin_client.get(reverse("admin:statements_statement_add"))

    assert response.status_code == 200
    assert 'name="quotes-TOTAL_FORMS"' in response.text
    assert 'name="petitions-TOTAL_FORMS"' in response.text


def test_superuser_opens_the_change_form_with_quote_and_petition(admin_client):
    statement = make_statement()
    make_quote(statement, text="Act now, please.")
    petition = make_petition(statement, title="Cancel the visit")

    url = reverse("admin:statements_statement_change", args=[statement.pk])
    response = admin_client.get(url)

    assert response.status_code == 200
    assert "Act now, please." in response.text
    assert petition.title in response.text


def test_preview_shows_a_draft_with_a_notice(admin_client, draft):
    url = reverse("admin:statements_statement_preview", args=[draft.pk])

    response = admin_client.get(url)

    assert response.status_code == 200
    assert "A draft on the visit" in response.text
    assert "Preview" in response.text
    assert "not public" in response.text


def test_preview_of_a_public_statement_has_no_notice(admin_client, statement):
    url = reverse("admin:statements_statement_preview", args=[statement.pk])

    response = admin_client.get(url)

    assert response.status_code == 200
    assert "not public" not in response.text


def test_anonymous_visitor_is_sent_to_login_from_the_preview(client, draft):
    url = reverse("admin:statements_statement_preview", args=[draft.pk])

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_publish_action_publishes_a_draft(admin_client, draft):
    response = admin_client.post(
        reverse("admin:statements_statement_changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
        follow=True,
    )

    draft.refresh_from_db()
    assert response.status_code == 200
    assert draft.state == Statement.State.PUBLISHED
    assert draft.publish_at is not None
    assert "1 statement published." in response.text


def test_archive_action_archives_a_statement(admin_client, statement):
    admin_client.post(
        reverse("admin:statements_statement_changelist"),
        {"action": "archive", "_selected_action": [statement.pk]},
    )

    statement.refresh_from_db()
    assert statement.state == Statement.State.ARCHIVED


def test_staff_who_may_not_see_statements_get_no_preview(client, draft):
    log_in_verified(client, make_staff("sam"))

    response = client.get(
        reverse("admin:statements_statement_preview", args=[draft.pk])
    )

    assert response.status_code == 403


def _statement_form(statement: Statement, **fields: object) -> dict:
    publish_at = timezone.localtime(statement.publish_at or timezone.now())
    data = {
        "title": statement.title,
        "slug": statement.slug,
        "standfirst": statement.standfirst,
        "body": statement.body,
        "background": statement.background,
        "state": statement.state,
        "publish_at_0": publish_at.strftime("%Y-%m-%d"),
        "publish_at_1": publish_at.strftime("%H:%M:%S"),
        "quotes-TOTAL_FORMS": 0,
        "quotes-INITIAL_FORMS": 0,
        "petitions-TOTAL_FORMS": 0,
        "petitions-INITIAL_FORMS": 0,
    }
    return data | fields


def test_a_statement_published_in_its_form_gets_its_published_at(admin_client, draft):
    url = reverse("admin:statements_statement_change", args=[draft.pk])

    response = admin_client.post(url, _statement_form(draft, state="published"))

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == Statement.State.PUBLISHED
    assert draft.published_at is not None
    assert draft.published_at == draft.publish_at


def test_a_statement_published_in_its_form_for_a_later_time_is_scheduled(
    admin_client, draft
):
    later = timezone.now() + timedelta(days=1)
    draft.publish_at = later
    url = reverse("admin:statements_statement_change", args=[draft.pk])

    response = admin_client.post(url, _statement_form(draft, state="published"))

    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.state, draft.published_at) == (Statement.State.SCHEDULED, None)
