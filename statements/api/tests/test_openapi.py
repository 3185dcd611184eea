"""The OpenAPI document is valid OpenAPI 3.1, and real answers of every
endpoint match the schemas it gives for them."""

import pytest
from django.urls import reverse
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from actions.services import confirm_signature
from actions.tests.factories import make_petition, make_signature
from statements.tests.factories import make_quote, make_topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(client):
    response = client.get(reverse("api:openapi"))
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    return response.json()


def _check(document: dict, path: str, status: int, response) -> None:
    """The answer has the status and matches the document's schema for it."""
    assert response.status_code == status
    content = document["paths"][path]["get"]["responses"][str(status)]["content"]
    schema = content["application/json"]["schema"] | {
        "components": document["components"]
    }
    Draft202012Validator(schema).validate(response.json())


def test_the_document_is_valid_openapi_3_1(document):
    validate(document)

    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {
        "/statements/",
        "/statements/{slug}/",
        "/openapi.json",
    }
    assert document["servers"] == [{"url": "/api/v1"}]


def test_every_answer_matches_its_schema(client, document):
    petition = make_petition()
    confirm_signature(signature=make_signature(petition))
    statement = petition.statement
    statement.topics.add(make_topic())
    make_quote(statement, is_pull_quote=True)
    make_quote(statement, role="")
    detail = reverse("api:statement_detail", args=[statement.slug])
    answers = [
        ("/statements/", 200, "/api/v1/statements/"),
        ("/statements/", 200, "/api/v1/statements/?lang=ar&page_size=1"),
        ("/statements/", 400, "/api/v1/statements/?page=abc"),
        ("/statements/", 400, "/api/v1/statements/?topic=none"),
        ("/statements/", 404, "/api/v1/statements/?page=9"),
        ("/statements/{slug}/", 200, detail),
        ("/statements/{slug}/", 200, detail + "?lang=my"),
        ("/statements/{slug}/", 400, detail + "?lang=xx"),
        ("/statements/{slug}/", 404, "/api/v1/statements/unknown/"),
        ("/openapi.json", 200, "/api/v1/openapi.json"),
    ]

    for path, status, url in answers:
        _check(document, path, status, client.get(url))
    for path, url in [
        ("/statements/", "/api/v1/statements/"),
        ("/openapi.json", "/api/v1/openapi.json"),
    ]:
        _check(document, path, 405, client.post(url))


def test_a_drifted_answer_would_fail_its_schema(document):
    schema = document["components"]["schemas"]["CallToAction"] | {
        "components": document["components"]
    }

    errors = list(Draft202012Validator(schema).iter_errors({"slug": "x"}))

    assert errors  # missing fields are caught, so the check above means something
