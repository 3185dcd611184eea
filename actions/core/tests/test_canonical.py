"""One mailbox, one canonical address, however its domain is written: the
full-width and other compatibility forms of a domain are the domain DNS
knows, and a local part outside ASCII never becomes another person's."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actions.core.canonical import ascii_domain, canonical_email
from actions.tests.strategies import CONFUSABLE_LETTERS, disguised

# Domains written the plain way, as most supporters type them.
PLAIN_DOMAINS = ["gmail.com", "googlemail.com", "example.org", "outlook.com"]


@pytest.mark.parametrize(
    "typed",
    [
        "me@gmail.com",
        "me@\uff47mail.com",  # full-width g
        "me@g\uff4dail.com",  # full-width m
        "me@\uff47\uff4d\uff41\uff49\uff4c\uff0e\uff43\uff4f\uff4d",  # all of it
        "me@GMAIL.COM",
        "me@gmail\u3002com",  # ideographic full stop
        "me@\U0001d420mail.com",  # mathematical bold g
    ],
)
def test_every_way_of_writing_a_domain_is_one_mailbox(typed):
    assert canonical_email(typed) == "me@gmail.com"


def test_a_non_ascii_local_part_never_becomes_an_ascii_one():
    # "ſ" (long s) case-folds to "s": the address would take sam's place.
    assert canonical_email("\u017fam@example.org") != "sam@example.org"
    # KELVIN SIGN folds to "k"; DOTTED CAPITAL I to "i" and a combining dot.
    assert canonical_email("\u212aim@example.org") != "kim@example.org"
    assert canonical_email("\u0130da@example.org") != "ida@example.org"


def test_a_domain_has_one_ascii_form():
    assert ascii_domain("B\u00fccher.Example") == "xn--bcher-kva.example"
    assert ascii_domain("xn--bcher-kva.example") == "xn--bcher-kva.example"
    assert ascii_domain("\uff42\u00fccher\uff0eexample") == "xn--bcher-kva.example"


@pytest.mark.parametrize("domain", ["a..b", "x" * 64 + ".org", "\uff47" * 64 + ".org"])
def test_a_domain_without_an_ascii_form_is_refused(domain):
    with pytest.raises(ValueError):
        ascii_domain(domain)


def test_canonicalising_a_domain_without_an_ascii_form_never_raises():
    assert canonical_email("me@a..b") == "me@a..b"


plain_local_parts = st.from_regex(
    r"[a-z0-9]([a-z0-9_.+-]{0,20}[a-z0-9])?", fullmatch=True
)
disguised_domains = st.sampled_from(PLAIN_DOMAINS).flatmap(
    lambda domain: st.tuples(st.just(domain), disguised(domain))
)


@given(local=plain_local_parts, domains=disguised_domains)
def test_a_disguised_domain_is_the_plain_one(local, domains):
    plain, disguised = domains
    canonical = canonical_email(f"{local}@{plain}")

    assert canonical_email(f"{local}@{disguised}") == canonical
    assert canonical.isascii()
    assert canonical_email(canonical) == canonical


@given(
    # Without a "+": what follows it is a tag the provider ignores, confusable
    # or not ("sam+ſ@gmail.com" is sam's mailbox, and mail goes as typed).
    local=st.from_regex(r"[a-z0-9]([a-z0-9_.-]{0,20}[a-z0-9])?", fullmatch=True),
    confusable=st.sampled_from(CONFUSABLE_LETTERS),
    at=st.integers(min_value=0, max_value=30),
    domain=st.sampled_from(PLAIN_DOMAINS),
)
def test_a_confusable_local_part_never_takes_an_ascii_address(
    local, confusable, at, domain
):
    at = min(at, len(local))
    typed = f"{local[:at]}{confusable}{local[at:]}@{domain}"

    local_part = canonical_email(typed).rpartition("@")[0]

    assert not local_part.isascii()
