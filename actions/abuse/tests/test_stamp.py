import re
import time

import pytest
from django.urls import reverse

from actions.abuse.stamp import make_stamp, placeholder, seconds_since
from actions.tests.factories import make_petition

pytestmark = pytest.mark.django_db

STAMP = re.compile(r'name="started" value="([^"]+)"')


def test_a_stamp_tells_how_long_ago_it_was_made():
    assert 59 < seconds_since(make_stamp(time.time() - 60)) < 61


def test_a_tampered_missing_or_unsigned_stamp_is_refused():
    stamp = make_stamp(1_000.0)

    assert seconds_since(stamp.replace("1000.000", "900.000")) is None
    assert seconds_since("") is None
    assert seconds_since("1000.000") is None
    assert seconds_since(stamp + "x") is None


def test_each_response_of_a_cached_page_gets_a_fresh_stamp(client, petition):
    url = petition.statement.get_absolute_url()

    first = client.get(url)
    time.sleep(0.01)
    second = client.get(url)  # from the page cache

    stamps = [STAMP.search(r.content.decode()).group(1) for r in (first, second)]
    assert stamps[0] != stamps[1]
    assert all(
        0 <= seconds_since(stamp, petition_id=petition.pk) < 5 for stamp in stamps
    )
    assert placeholder() not in first.content.decode() + second.content.decode()
    assert not first.cookies and not second.cookies


def test_the_sign_page_carries_a_stamp_and_the_hidden_honeypot(client, petition):
    page = client.get(reverse("actions:sign", kwargs={"slug": petition.slug}))
    html = page.content.decode()

    assert seconds_since(STAMP.search(html).group(1), petition_id=petition.pk) < 5
    honeypot = re.search(
        r'<div\s+class="visually-hidden"\s+aria-hidden="true">(.*?)</div>\s*</div>',
        html,
        re.S,
    )
    assert honeypot, "the honeypot is wrapped, hidden from sight and screen readers"
    assert re.search(
        r'<input type="text" name="website" tabindex="-1" autocomplete="off"',
        honeypot.group(1),
    )


def test_a_stamp_is_bound_to_its_petition():
    stamp = make_stamp(time.time() - 60, petition_id=7)

    assert 59 < seconds_since(stamp, petition_id=7) < 61
    assert seconds_since(stamp, petition_id=8) is None
    assert seconds_since(make_stamp(time.time() - 60), petition_id=7) is None
    # Its petition cannot be changed without the key.
    assert seconds_since(stamp.replace("7:", "8:", 1), petition_id=8) is None


def test_a_stamp_expires(settings):
    settings.ABUSE_STAMP_MAX_AGE_SECONDS = 24 * 3600

    assert seconds_since(
        make_stamp(time.time() - 23 * 3600, petition_id=1), petition_id=1
    )
    assert (
        seconds_since(make_stamp(time.time() - 25 * 3600, petition_id=1), petition_id=1)
        is None
    )


def test_each_form_of_a_statement_page_carries_its_own_petitions_stamp(
    client, petition
):
    other = make_petition(petition.statement)
    html = client.get(petition.statement.get_absolute_url()).content.decode()

    stamps = STAMP.findall(html)
    assert len(stamps) == 2
    assert {
        next(p.pk for p in (petition, other) if seconds_since(s, petition_id=p.pk))
        for s in stamps
    } == {petition.pk, other.pk}
