"""A database outage: public pages answer 503 with a page asking to try again
in a minute, rendered without the database, and signing stores nothing.

The outage is real to the site's code (see conftest's database_down).
"""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from actions.models import Signature
from campaign.views import server_error

pytestmark = pytest.mark.django_db

SIGNING_PAGE = "We could not take your signature, please try again in a minute."
GENERAL_PAGE = "The site is having a short problem. Please try again in a minute."


@pytest.fixture
def visitor() -> Client:
    """A browser: it sees the error page, where the test client would raise."""
    return Client(raise_request_exception=False)


def test_signing_while_the_database_is_down_asks_to_sign_again_in_a_minute(
    visitor, petition, sign_data, database_down
):
    sign = reverse("actions:sign", kwargs={"slug": petition.slug})
    assert visitor.get(sign).status_code == 200  # the petition is in its cache

    with database_down():
        response = visitor.post(sign, sign_data)

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert SIGNING_PAGE in page
    assert '<html lang="en" dir="ltr">' in page  # the site's own page, in its language
    assert not Signature.objects.exists()


def test_a_page_while_the_database_is_down_asks_to_come_back_in_a_minute(
    visitor, petition, database_down
):
    with database_down():
        response = visitor.get(petition.statement.get_absolute_url())

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert GENERAL_PAGE in response.content.decode()
    assert SIGNING_PAGE not in response.content.decode()


def test_the_site_answers_again_once_the_database_is_back(
    visitor, petition, sign_data, database_down
):
    sign = reverse("actions:sign", kwargs={"slug": petition.slug})
    with database_down():
        assert visitor.post(sign, sign_data).status_code == 503

    response = visitor.post(sign, sign_data)

    assert response.status_code == 302
    assert Signature.objects.filter(petition=petition).count() == 1


def test_other_errors_keep_the_plain_500_page(rf: RequestFactory):
    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(rf.get("/"))

    assert response.status_code == 500
    assert not response.has_header("Retry-After")
