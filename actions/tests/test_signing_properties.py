"""Property-based tests of signing (hypothesis): whatever a client posts to the
signing form, the answer is a signature for a new address, the same page for
an address that signed already, or the form again with a clear error that
changed nothing; never a crash, a lost or an extra row."""

import itertools
import re
import time
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse
from django_countries import countries
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from actions.abuse.stamp import make_stamp
from actions.consent import services as consent
from actions.core.canonical import canonical_email
from actions.forms import SignatureForm
from actions.models import Petition, Signature
from actions.outbox.models import OutboundEmail
from actions.tests.strategies import (
    CASE_FOLDING,
    CONFUSABLE_LETTERS,
    disguised,
    text,
)

pytestmark = pytest.mark.django_db

FIELDS = ["first_name", "last_name", "email", "country", "source", "wants_updates"]
# The honeypot and the form's start time.
ABUSE_FIELDS = ["website", "started"]
CLIENTS = itertools.count(1)
SOURCE = re.compile(r"[a-z0-9_.-]{0,60}")
examples = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

DOMAINS = [
    "example.org",
    "gmail.com",
    "GoogleMail.com",
    "outlook.com",
    "stra\u00dfe.example",  # case folding makes it longer: ß -> ss
    "xn--strae-oqa.example",
    "\uff47mail.com",  # full-width g: gmail.com
    "g\uff4dail\u3002com",  # full-width m, ideographic full stop
]
local_parts = st.text(
    st.sampled_from("abcxyzABC09._+-" + CASE_FOLDING + CONFUSABLE_LETTERS),
    min_size=1,
    max_size=64,
)
crafted_emails = st.builds(
    "{}@{}".format, local_parts, st.one_of(st.sampled_from(DOMAINS), st.emails())
)
emails = st.one_of(
    st.emails(), crafted_emails, text(max_size=60), st.sampled_from(["", " ", "@"])
)
submissions = st.fixed_dictionaries(
    {
        "first_name": text(max_size=110),
        "last_name": text(max_size=110),
        "email": emails,
        "country": st.one_of(
            st.sampled_from(["KH", "MM", "kh", "XX", ""]), text(max_size=3)
        ),
        "source": text(max_size=80),
    },
    optional={
        "wants_updates": st.one_of(st.sampled_from(["on", "false"]), text(max_size=3))
    },
)
junk = st.dictionaries(
    text(max_size=12).filter(lambda key: key and key not in FIELDS + ABUSE_FIELDS),
    text(max_size=12),
    max_size=3,
)
# An address of 187 characters that the email field accepts, whose canonical
# form (ß folds to ss) is 367: longer than the column holding it.
LONG_FOLDING = "a@" + ".".join(["\u00df" * 60] * 3) + ".de"


def _rows() -> dict[str, tuple]:
    """Every signature, by canonical email, as stored."""
    return {
        row[0]: row
        for row in Signature.objects.values_list(
            "canonical_email",
            "first_name",
            "last_name",
            "email",
            "country",
            "wants_updates",
            "consent_version",
            "source",
            "state",
        )
    }


def _post(petition: Petition, data: dict[str, str], *, urlencoded: bool):
    # Each submission from a client of its own, a minute after the form was
    # served: the abuse controls (tested in actions/tests/abuse) stay out of it.
    n = next(CLIENTS)
    client = Client(REMOTE_ADDR=f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}")
    data = data | {"started": make_stamp(time.time() - 60, petition_id=petition.pk)}
    url = reverse("actions:sign", args=[petition.slug])
    if urlencoded:
        body = urlencode(data)
        return client.post(url, body, content_type="application/x-www-form-urlencoded")
    return client.post(url, data)


def _multipart_safe(key: str) -> bool:
    # The test client writes a field's name into a multipart header as it is;
    # a quote or line break there is a malformed body, tried further below.
    return not any(ch in key for ch in '"\r\n')


@examples
@given(data=submissions, extra=junk, urlencoded=st.booleans())
@example(
    data={
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": LONG_FOLDING,
        "country": "KH",
        "source": "",
    },
    extra={},
    urlencoded=False,
)
def test_any_submission_signs_once_or_shows_an_error_and_changes_nothing(
    petition, data, extra, urlencoded
):
    if not urlencoded:
        extra = {k: v for k, v in extra.items() if _multipart_safe(k)}
    before, emails_before = _rows(), OutboundEmail.objects.count()
    form = SignatureForm(data)

    response = _post(petition, data | extra, urlencoded=urlencoded)

    after = _rows()
    if not form.is_valid():
        assert response.status_code == 200
        page = response.content.decode()
        assert "Please correct the errors below." in page
        for field, messages in form.errors.items():
            assert field in FIELDS
            assert all(_shown(message, page) for message in messages)
        assert after == before
        assert OutboundEmail.objects.count() == emails_before
        return
    assert response.status_code == 302
    assert response["Location"] == reverse("actions:check_email", args=[petition.slug])
    canonical = canonical_email(data["email"].strip())
    if canonical in before:
        assert after == before  # signing again overwrites nothing
        return
    assert set(after) - set(before) == {canonical}
    assert OutboundEmail.objects.count() == emails_before + 1
    _assert_well_formed(after[canonical], form.cleaned_data)


def _shown(message: str, page: str) -> bool:
    escaped = message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("'", "&#x27;").replace('"', "&quot;") in page


def _assert_well_formed(row: tuple, cleaned: dict) -> None:
    """The stored signature is what the form accepted, in shapes that are safe
    to show, email and export."""
    canonical, first, last, email, country, wants, version, source, state = row
    assert (first, last, email) == (
        cleaned["first_name"],
        cleaned["last_name"],
        cleaned["email"],
    )
    assert first  # the family name may be left out; a name may not
    for name in (first, last):
        assert len(name) <= 100
        assert name == " ".join(name.split()) and name.isprintable()
    assert canonical == canonical_email(email) and len(canonical) <= 254
    assert country in countries
    assert SOURCE.fullmatch(source) and source == cleaned["source"]
    assert wants == cleaned["wants_updates"]
    wording = consent.updates_wording()
    assert version == (str(wording.version) if wants else "")
    assert state != Signature.State.CONFIRMED  # counted only once confirmed


names = st.text(
    st.characters(categories=("L", "M", "Nd")),
    min_size=1,
    max_size=40,
).filter(lambda name: name.strip() and name.isprintable())
plain_local_parts = st.from_regex(
    r"[a-z0-9]([a-z0-9_+-]{0,20}[a-z0-9])?", fullmatch=True
)


@examples
@given(
    first_name=names,
    last_name=names,
    local=plain_local_parts,
    domain=st.sampled_from(DOMAINS[:4]),
    country=st.sampled_from(list(countries)),
    wants_updates=st.booleans(),
)
def test_a_valid_signature_is_never_lost(
    petition, first_name, last_name, local, domain, country, wants_updates
):
    email = f"{local}@{domain}"
    data = {
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "country": country.code,
    } | ({"wants_updates": "on"} if wants_updates else {})
    signed_before = set(_rows())

    response = _post(petition, data, urlencoded=False)

    assert response.status_code == 302
    assert set(_rows()) == signed_before | {canonical_email(email)}


@examples
@given(
    body=st.one_of(st.binary(max_size=300), st.builds(str.encode, text(max_size=200)))
)
def test_a_body_of_any_bytes_crashes_nothing_and_changes_nothing(petition, body):
    before = _rows()
    url = reverse("actions:sign", args=[petition.slug])

    for content_type in ["application/x-www-form-urlencoded", "multipart/form-data"]:
        response = Client().post(url, body, content_type=content_type)
        assert response.status_code in {200, 302, 400}

    after = _rows()
    assert len(after) - len(before) in {0, 1}
    assert all(after[key] == before[key] for key in before)


NOT_ASCII = "Use only unaccented Latin letters, digits and . _ + - before the @"


@examples
@given(
    local=plain_local_parts,
    domains=st.sampled_from(DOMAINS[:4]).flatmap(
        lambda domain: st.tuples(st.just(domain), disguised(domain))
    ),
)
def test_a_disguised_domain_is_the_same_signer(petition, local, domains):
    plain, disguised_domain = domains
    _post(petition, _valid(f"{local}@{plain}"), urlencoded=False)
    signed = _rows()

    response = _post(petition, _valid(f"{local}@{disguised_domain}"), urlencoded=False)

    assert response.status_code == 302  # the page never tells the two apart
    assert _rows() == signed


@examples
@given(
    local=plain_local_parts,
    confusable=st.sampled_from(CONFUSABLE_LETTERS),
    at=st.integers(min_value=0, max_value=30),
    domain=st.sampled_from(DOMAINS),
)
def test_a_local_part_outside_ascii_is_refused_and_changes_nothing(
    petition, local, confusable, at, domain
):
    at = min(at, len(local))
    before, emails_before = _rows(), OutboundEmail.objects.count()

    response = _post(
        petition,
        _valid(f"{local[:at]}{confusable}{local[at:]}@{domain}"),
        urlencoded=False,
    )

    assert response.status_code == 200
    assert NOT_ASCII in response.content.decode()
    assert _rows() == before
    assert OutboundEmail.objects.count() == emails_before


def test_a_long_s_never_takes_the_place_of_an_s(petition):
    _post(petition, _valid("\u017fam@example.org"), urlencoded=False)

    response = _post(petition, _valid("sam@example.org"), urlencoded=False)

    assert response.status_code == 302
    signature = Signature.objects.get(petition=petition)
    assert (signature.email, signature.canonical_email) == (
        "sam@example.org",
        "sam@example.org",
    )


def test_the_address_kept_has_its_domain_as_dns_knows_it(petition):
    _post(petition, _valid("Me@\uff47mail\uff0eCOM"), urlencoded=False)

    signature = Signature.objects.get(petition=petition)
    assert (signature.email, signature.canonical_email) == (
        "Me@gmail.com",
        "me@gmail.com",
    )


def _valid(email: str) -> dict[str, str]:
    return {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": email,
        "country": "KH",
    }
