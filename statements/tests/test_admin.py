from datetime import UTC, datetime, timedelta

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
        "title_en": statement.title,
        "slug": statement.slug,
        "standfirst_en": statement.standfirst,
        "body_en": statement.body,
        "background_en": statement.background,
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


def _scheduled(**fields) -> Statement:
    return make_statement(
        title="A statement for later",
        state=Statement.State.SCHEDULED,
        publish_at=datetime(2030, 7, 1, 12, 0, tzinfo=UTC),
        **fields,
    )


def _view_on_site(admin_client, statement: Statement) -> str:
    url = reverse("admin:statements_statement_change", args=[statement.pk])
    return admin_client.get(url).context["absolute_url"]


@pytest.mark.parametrize("state", [Statement.State.DRAFT, Statement.State.SCHEDULED])
def test_view_on_site_of_a_statement_not_yet_public_opens_its_preview(
    admin_client, state
):
    statement = make_statement(state=state, publish_at=timezone.now() + timedelta(1))
    preview = reverse("admin:statements_statement_preview", args=[statement.pk])

    link = _view_on_site(admin_client, statement)

    assert link == preview
    assert admin_client.get(link).status_code == 200


@pytest.mark.parametrize("state", [Statement.State.PUBLISHED, Statement.State.ARCHIVED])
def test_view_on_site_of_a_visible_statement_opens_its_public_page(admin_client, state):
    statement = make_statement(state=state)

    link = _view_on_site(admin_client, statement)

    assert link == statement.get_absolute_url()
    assert admin_client.get(link).status_code == 200


def test_publishing_a_statement_scheduled_for_later_says_it_stays_scheduled(
    admin_client, settings
):
    settings.TIME_ZONE = "Europe/Berlin"
    statement = _scheduled()

    response = admin_client.post(
        reverse("admin:statements_statement_changelist"),
        {"action": "publish", "_selected_action": [statement.pk]},
        follow=True,
    )

    statement.refresh_from_db()
    assert statement.state == Statement.State.SCHEDULED
    assert statement.publish_at == datetime(2030, 7, 1, 12, 0, tzinfo=UTC)
    text = response.text
    assert (
        "“A statement for later” stays scheduled: it goes public on "
        "July 1, 2030, 2 p.m. CEST." in text
    )
    assert "published." not in text


def test_publishing_a_draft_with_a_later_time_says_when_it_goes_public(
    admin_client,
):
    draft = make_statement(
        title="A draft for later",
        state=Statement.State.DRAFT,
        publish_at=datetime(2030, 1, 6, 9, 30, tzinfo=UTC),
    )

    response = admin_client.post(
        reverse("admin:statements_statement_changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
        follow=True,
    )

    draft.refresh_from_db()
    assert draft.state == Statement.State.SCHEDULED
    assert (
        "“A draft for later” is scheduled: it goes public on "
        "Jan. 6, 2030, 9:30 a.m. UTC." in response.text
    )


def test_publishing_a_mix_counts_only_what_went_public(admin_client, draft):
    later = _scheduled()

    response = admin_client.post(
        reverse("admin:statements_statement_changelist"),
        {"action": "publish", "_selected_action": [draft.pk, later.pk]},
        follow=True,
    )

    assert "1 statement published." in response.text
    assert "stays scheduled" in response.text


def test_the_publish_time_input_names_the_sites_time_zone(admin_client, settings):
    settings.TIME_ZONE = "America/Bogota"

    response = admin_client.get(reverse("admin:statements_statement_add"))

    help_text = str(response.context["adminform"].form.fields["publish_at"].help_text)
    assert "Required unless a draft." in help_text
    assert "Times are in the site's time zone, America/Bogota." in help_text
    opens_at = response.context["inline_admin_formsets"][1].formset.form
    assert "America/Bogota" in str(opens_at.base_fields["opens_at"].help_text)
