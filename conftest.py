"""Fixtures shared by every app's tests."""

import pytest
from django.core.cache import caches

from actions.tests.factories import make_petition
from statements.tests.factories import make_statement


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Page and count caches must not carry one test's pages into the next."""
    for alias in ("default", "pages"):
        caches[alias].clear()
    yield
    for alias in ("default", "pages"):
        caches[alias].clear()


@pytest.fixture
def statement(db):
    return make_statement()


@pytest.fixture
def petition(statement):
    return make_petition(statement)


@pytest.fixture
def sign_data() -> dict[str, str]:
    """A valid signing form as a browser posts it."""
    return {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.org",
        "country": "KH",
        "source": "newsletter",
    }
