"""Fixtures shared by every app's tests."""

import os

import pytest
from django.conf import settings
from django.core.cache import caches
from django.utils import translation
from hypothesis import settings as hypothesis_settings

from actions.abuse import blocklist
from actions.models import Petition
from actions.tests.factories import make_petition, stamp_for
from campaign import redisbreaker
from campaign.celery import app as celery_app
from staff.tests.otp import log_in_verified
from staff.twofactor import enrol_totp_device
from statements.tests.factories import make_statement

# Property-based tests: a quick run by default, many more examples with
# HYPOTHESIS_PROFILE=thorough (e.g. in a nightly CI job). No deadline: the
# first example of a test pays for Django's caches and would look slow.
hypothesis_settings.register_profile("quick", max_examples=100, deadline=None)
hypothesis_settings.register_profile("thorough", max_examples=2000, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))


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
def _original_language():
    """A request to a /fr/ page leaves French active in the thread (Django's
    LocaleMiddleware does not undo it): the next test starts in the original."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Caches must not carry one test's pages or rows into the next, nor a
    Redis circuit breaker one test opened."""
    redisbreaker.reset_all()
    for alias in settings.CACHES:
        caches[alias].clear()
    blocklist.forget()
    yield
    for alias in settings.CACHES:
        caches[alias].clear()
    blocklist.forget()


@pytest.fixture(autouse=True)
def _original_language():
    """Each test starts in the original language: a request to /fr/ leaves
    French active in the thread (LocaleMiddleware activates, never resets)."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def statement(db):
    return make_statement()


@pytest.fixture
def petition(statement):
    return make_petition(statement)


@pytest.fixture
def sign_data(petition: Petition) -> dict[str, str]:
    """A valid signing form as a browser posts it on ``petition``'s page, a
    person having taken a minute to fill it in (see actions.abuse.stamp; a
    stamp is bound to its petition: for another one, use ``stamp_for``)."""
    return {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.org",
        "country": "KH",
        "source": "newsletter",
        "website": "",
        "started": stamp_for(petition),
    }


@pytest.fixture
def admin_device(admin_user):
    """The superuser's confirmed TOTP device (its key computes valid codes)."""
    return enrol_totp_device(user=admin_user)


@pytest.fixture
def admin_client(client, admin_user, admin_device):
    """A browser logged into the admin with a password and a verified device.

    Replaces pytest-django's fixture of the same name: the admin opens only to
    staff verified by a second factor. The session is the one the OTP login
    form leaves (django_otp.login), without paying for a password hash in
    every admin test; tests of the login form itself post a real TOTP code.
    """
    log_in_verified(client, admin_user, admin_device)
    return client
