"""The OpenAPI 3.1 document of the public API, written by hand: four
read-only endpoints need no framework. Its schemas are checked against real
answers (statements/api/tests/test_openapi.py), so they cannot drift."""

from typing import Any

from django.conf import settings

from actions.models import Petition
from statements.api.services import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from statements.models import Topic


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    """An object with exactly these properties, all present."""
    schema = {
        "type": "object",
        "required": list(properties),
        "additionalProperties": False,
        "properties": properties,
    }
    return {"description": description, **schema} if description else schema


def _json(schema_name: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": _ref(schema_name)}},
    }


STRING = {"type": "string"}
URL = {"type": "string", "format": "uri"}


def _schemas() -> dict[str, Any]:
    languages = [code for code, _name in settings.LANGUAGES]
    summary = {
        "slug": STRING,
        "title": STRING,
        "standfirst": STRING,
        "url": {**URL, "description": "The statement's page in this language."},
        "published_at": {"type": "string", "format": "date-time"},
        "languages": {
            "type": "array",
            "items": {"enum": languages},
            "description": "The languages it is written in; others fall back "
            "to the original.",
        },
        "topics": {"type": "array", "items": _ref("Topic")},
        "calls_to_action": {"type": "array", "items": _ref("CallToAction")},
    }
    return {
        "Error": _object({"error": STRING}),
        "Topic": _object(
            {
                "slug": STRING,
                "name": STRING,
                "kind": {"enum": Topic.Kind.values},
                "url": URL,
            }
        ),
        "Target": _object({"name": STRING, "description": STRING}),
        "CallToAction": _object(
            {
                "slug": STRING,
                "kind": {"enum": Petition.Kind.values},
                "title": STRING,
                "demand": STRING,
                "target": _ref("Target"),
                "state": {"enum": Petition.State.values},
                "is_open": {"type": "boolean"},
                "count": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "Confirmed signatures (or letter writers), "
                    "a few seconds old at most.",
                },
                "goal": {"type": "integer", "minimum": 1},
                "url": {**URL, "description": "Where supporters join it."},
            },
            "A demand addressed to a target: a petition or a letter action.",
        ),
        "StatementSummary": _object(summary, "A published statement."),
        "StatementPage": _object(
            {
                "language": {"enum": languages},
                "count": {"type": "integer", "minimum": 0},
                "page": {"type": "integer", "minimum": 1},
                "pages": {"type": "integer", "minimum": 1},
                "page_size": {"type": "integer", "minimum": 1},
                "next": {"type": ["string", "null"], "format": "uri"},
                "previous": {"type": ["string", "null"], "format": "uri"},
                "results": {"type": "array", "items": _ref("StatementSummary")},
            }
        ),
        "Statement": _object(
            {
                "language": {"enum": languages},
                **summary,
                "body": {**STRING, "description": "Sanitised HTML."},
                "background": {
                    **STRING,
                    "description": "Sanitised HTML; may be empty.",
                },
                "quotes": {
                    "type": "array",
                    "items": _object(
                        {
                            "speaker": STRING,
                            "role": STRING,
                            "text": STRING,
                            "is_pull_quote": {"type": "boolean"},
                        }
                    ),
                },
            }
        ),
    }


ERRORS = {
    "400": _json("Error", "A bad parameter, named in the error."),
    "405": _json("Error", "Only GET, HEAD and OPTIONS are allowed."),
}


def _lang() -> dict[str, Any]:
    languages = [code for code, _name in settings.LANGUAGES]
    return {
        "name": "lang",
        "in": "query",
        "required": False,
        "description": "The language of the texts and page links; texts not "
        "translated are the original's.",
        "schema": {"enum": languages, "default": settings.LANGUAGE_CODE},
    }


def _paths() -> dict[str, Any]:
    return {
        "/statements/": {
            "get": {
                "operationId": "listStatements",
                "summary": "Published statements, newest first",
                "parameters": [
                    _lang(),
                    {
                        "name": "page",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "default": 1},
                    },
                    {
                        "name": "page_size",
                        "in": "query",
                        "required": False,
                        "schema": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": MAX_PAGE_SIZE,
                            "default": DEFAULT_PAGE_SIZE,
                        },
                    },
                    {
                        "name": "topic",
                        "in": "query",
                        "required": False,
                        "description": "Only the statements of the topic with "
                        "this slug.",
                        "schema": {"type": "string"},
                    },
                ],
                "responses": {
                    "200": _json("StatementPage", "One page of statements."),
                    "404": _json("Error", "A page past the last."),
                    **ERRORS,
                },
            }
        },
        "/statements/{slug}/": {
            "get": {
                "operationId": "getStatement",
                "summary": "One statement, with its body, background and quotes",
                "parameters": [
                    {
                        "name": "slug",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    _lang(),
                ],
                "responses": {
                    "200": _json("Statement", "The statement."),
                    "404": _json("Error", "No public statement has this slug."),
                    **ERRORS,
                },
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "getOpenAPI",
                "summary": "This document",
                "responses": {
                    "200": {
                        "description": "The OpenAPI document.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "405": ERRORS["405"],
                },
            }
        },
    }


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document, with the site's languages."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{settings.SITE_NAME} public API",
            "version": "1.0.0",
            "description": "Published statements and their calls to action, "
            "with confirmed counts, read-only. Any site may read it (CORS); "
            "answers are cached a few seconds.",
        },
        "servers": [{"url": "/api/v1"}],
        "paths": _paths(),
        "components": {"schemas": _schemas()},
    }
