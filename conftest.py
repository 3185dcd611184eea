"""Fixtures shared by every app's tests."""

import pytest
from django.conf import settings
from django.core.cache import caches

from actions.tests.factories import make_petition
from campaign.celery import app as celery_app
from statements.tests.factories import make_statement


@pytest.fixture(autouse=True)
def _tasks_in_process(request):
    """Unit tests run tasks in-process even when REDIS_URL is set (CI runs every
    test with it); integration tests use real worker processes."""
    if request.node.get_closest_marker("integration"):
        yield
        return
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Caches must not carry one test's pages or rows into the next."""
    for alias in settings.CACHES:
        caches[alias].clear()
    yield
    for alias in settings.CACHES:
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
