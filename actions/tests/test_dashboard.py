"""The campaign dashboard in the admin: counts, charts and who may see them."""

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.template.defaultfilters import date as date_filter
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_countries import countries

from actions.followups.models import FollowUp, FollowUpDelivery
from actions.followups.tests.factories import (
    make_follow_up,
    make_recipient,
    make_scheduled,
)
from actions.models import Petition, Signature
from actions.services import confirm_signature
from actions.tests.factories import make_petition, make_signature
from staff.tests.otp import log_in_verified

pytestmark = pytest.mark.django_db


def _url(petition: Petition) -> str:
    return reverse("admin:actions_petition_dashboard", args=[petition.pk])


def _confirmed(petition: Petition, day: date, **fields: object) -> Signature:
    signature = make_signature(petition, **fields)
    confirm_signature(signature=signature)
    at = datetime.combine(day, time(12), tzinfo=UTC)
    Signature.objects.filter(pk=signature.pk).update(confirmed_at=at)
    return signature


def _dd(content: str, term: str) -> str:
    return re.search(rf"<dt>{term}</dt>\s*<dd>([^<]*)</dd>", content).group(1)


def _table(content: str, caption: str) -> list[tuple[str, str]]:
    """The rows of the screen-reader table with this caption."""
    table = re.search(
        rf"<caption>{re.escape(caption)}</caption>(.*?)</table>", content, re.S
    )
    return re.findall(r'<th scope="row">(.*?)</th><td>(.*?)</td>', table.group(1))


def test_the_dashboard_shows_counts_per_day_country_and_source(admin_client, statement):
    petition = make_petition(statement, goal=200)
    today = timezone.localdate()
    _confirmed(petition, today, country="KH", source="newsletter")
    _confirmed(petition, today, country="KH", source="newsletter")
    _confirmed(petition, today - timedelta(days=1), country="FR", source="")
    _confirmed(petition, today - timedelta(days=89), country="KH", source="newsletter")
    _confirmed(petition, today - timedelta(days=90), country="FR", source="")
    make_signature(petition, country="CL")  # pending
    make_signature(petition, country="CL")
    make_signature(
        petition,
        state="suspect",
        suspect_reason="honeypot",
        suspected_at=timezone.now(),
    )
    other = make_petition(statement)
    _confirmed(other, today, country="CL")

    response = admin_client.get(_url(petition))

    assert response.status_code == 200
    content = response.content.decode()
    assert _dd(content, "Confirmed") == "5"
    assert _dd(content, "Waiting for confirmation") == "2"
    assert _dd(content, "Suspect, not counted") == "1"
    assert _dd(content, "Goal") == "200"
    assert "2% of the goal" in content
    per_day = _table(content, "Confirmed signatures per day")
    assert len(per_day) == 90
    assert per_day[-1] == (_date(today), "2")
    assert per_day[-2] == (_date(today - timedelta(days=1)), "1")
    assert per_day[0] == (_date(today - timedelta(days=89)), "1")
    assert sum(int(n) for _, n in per_day) == 4
    assert "4 in this period." in content
    by_country = _table(content, "Confirmed signatures by country")
    assert by_country == [("Cambodia", "3"), ("France", "2")]
    by_source = _table(content, "Confirmed signatures by source")
    assert by_source == [("newsletter", "3"), ("(no source)", "2")]


def _date(day: date) -> str:
    return date_filter(day, "DATE_FORMAT")


def test_countries_past_the_top_twenty_are_summed_as_other(admin_client, petition):
    codes = [country.code for country in countries][:22]
    today = timezone.localdate()
    _confirmed(petition, today, country=codes[0], source="s00")
    for n, code in enumerate(codes):
        _confirmed(petition, today, country=code, source=f"s{n:02}")

    content = admin_client.get(_url(petition)).content.decode()

    by_country = _table(content, "Confirmed signatures by country")
    assert len(by_country) == 21
    assert by_country[0] == (countries.name(codes[0]), "2")
    assert by_country[-1] == ("Other countries", "2")
    by_source = _table(content, "Confirmed signatures by source")
    assert by_source[0] == ("s00", "2")
    assert by_source[19] == ("s19", "1")
    assert by_source[-1] == ("Other sources", "2")


def test_a_petition_without_signatures_shows_zeros(admin_client, petition):
    content = admin_client.get(_url(petition)).content.decode()

    assert _dd(content, "Confirmed") == "0"
    assert _dd(content, "Waiting for confirmation") == "0"
    assert "No confirmed signatures yet." in content


def test_the_charts_are_inline_svg_and_load_nothing_from_elsewhere(
    admin_client, petition
):
    _confirmed(petition, timezone.localdate(), country="KH")

    content = admin_client.get(_url(petition)).content.decode()

    assert content.count('<svg class="chart') == 4  # goal, days, countries, sources
    assert '<rect class="bar"' in content
    urls = re.findall(r'(?:src|href)="([^"]*)"', content)
    assert urls and all(url.startswith(("/", "#")) for url in urls)
    main = content.split('id="content-main"', 1)[1]
    assert "<script" not in main
    assert "style=" not in main  # the CSP allows no inline style


def test_a_long_label_is_cut_in_the_chart_but_whole_in_the_table(
    admin_client, petition
):
    source = "a-very-long-source-name-from-a-partner-newsletter"
    _confirmed(petition, timezone.localdate(), source=source)

    content = admin_client.get(_url(petition)).content.decode()

    assert f">{source[:27]}…</text>" in content
    assert _table(content, "Confirmed signatures by source") == [(source, "1")]


def test_labels_are_escaped(admin_client, petition):
    _confirmed(petition, timezone.localdate(), source="<script>x</script>")

    content = admin_client.get(_url(petition)).content.decode()

    assert "<script>x" not in content
    assert "&lt;script&gt;x" in content


def test_the_follow_ups_sent_show_with_their_emails(admin_client, petition):
    sent = make_scheduled(petition, subject="We delivered it")
    now = timezone.now()
    FollowUp.objects.filter(pk=sent.pk).update(
        state=FollowUp.State.SENT, sending_at=now, sent_at=now
    )
    make_follow_up(petition, subject="A draft nobody sent")
    outcomes = [FollowUpDelivery.State.SENT] * 2 + [FollowUpDelivery.State.FAILED]
    for state in outcomes:
        FollowUpDelivery.objects.create(
            follow_up=sent,
            signature=make_recipient(petition),
            state=state,
            sent_at=now if state == FollowUpDelivery.State.SENT else None,
            failed_at=now if state == FollowUpDelivery.State.FAILED else None,
        )

    page = admin_client.get(_url(petition)).content.decode()

    section = page[page.index('id="follow-ups-heading"') :]
    assert "We delivered it" in section
    assert "A draft nobody sent" not in section
    rows = re.findall(r"We delivered it</th>(.*?)</tr>", section, re.S)
    # The chart's table for screen readers, then the progress table.
    assert [re.findall(r"<td>(\w+)</td>", row) for row in rows] == [
        ["2"],
        ["Sent", "2", "0", "1"],
    ]


def test_a_petition_without_follow_ups_says_so(admin_client, petition):
    page = admin_client.get(_url(petition)).content.decode()

    assert "No follow-up has been sent for this petition yet." in page


def test_the_page_costs_the_same_queries_for_one_or_many_signers(
    admin_client, statement, django_assert_max_num_queries
):
    small, large = make_petition(statement), make_petition(statement)
    today = timezone.localdate()
    _confirmed(small, today)
    for n in range(60):
        _confirmed(
            large,
            today - timedelta(days=n),
            country=["KH", "FR", "CL", "DE"][n % 4],
            source=f"partner-{n % 25}",
        )
        make_signature(large)
    admin_client.get(_url(small))  # a first view fills per-process caches

    with CaptureQueriesContext(connection) as one:
        admin_client.get(_url(small))
    # The session, the user, their verified TOTP device, the petition and the
    # seven of the dashboard.
    with django_assert_max_num_queries(11):
        response = admin_client.get(_url(large))

    assert response.status_code == 200
    with CaptureQueriesContext(connection) as many:
        admin_client.get(_url(large))
    assert len(many) == len(one)


# who may see it


def _staff(*codenames: str) -> User:
    user = User.objects.create_user("staff", password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


def test_staff_who_may_view_petitions_see_the_dashboard(client, petition):
    log_in_verified(client, _staff("view_petition"))

    assert client.get(_url(petition)).status_code == 200


def test_staff_without_the_view_permission_are_refused(client, petition):
    log_in_verified(client, _staff("view_signature"))

    assert client.get(_url(petition)).status_code == 403


def test_visitors_and_non_staff_are_sent_to_the_login(client, petition):
    anonymous = client.get(_url(petition))
    client.force_login(User.objects.create_user("supporter", password="x"))
    supporter = client.get(_url(petition))

    for response in (anonymous, supporter):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_an_unknown_petition_is_not_found(admin_client):
    url = reverse("admin:actions_petition_dashboard", args=[999999])

    assert admin_client.get(url).status_code == 404


def test_the_petition_list_and_page_link_to_the_dashboard(admin_client, petition):
    listing = admin_client.get(reverse("admin:actions_petition_changelist"))
    change = admin_client.get(
        reverse("admin:actions_petition_change", args=[petition.pk])
    )

    assert f'href="{_url(petition)}"' in listing.content.decode()
    assert f'href="{_url(petition)}"' in change.content.decode()
