"""What the public API says about statements: plain dicts, ready for JSON, in
the active language (django-modeltranslation reads it; reverse() prefixes the
pages' addresses with it). Read-only."""

from collections.abc import Callable

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Prefetch
from modeltranslation.utils import build_localized_fieldname

from actions.counts import confirmed_counts
from actions.models import Petition
from statements.models import Quote, Statement, Topic
from statements.services import render_markdown

# Turns a path into an absolute URL (the request's build_absolute_uri).
Absolute = Callable[[str], str]
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


def _with_relations() -> list[str | Prefetch]:
    """What a summary shows beside the statement: two queries for a page."""
    petitions = Petition.objects.select_related("target").order_by("position", "pk")
    return ["topics", Prefetch("petitions", queryset=petitions)]


def statement_page(*, topic: Topic | None, number: int, size: int) -> Page:
    """One page of published statements, newest first, with what their
    summaries show. Raises django.core.paginator.EmptyPage past the last."""
    statements = Statement.objects.published().order_by("-publish_at", "-pk")
    if topic is not None:
        statements = statements.filter(topics=topic)
    statements = statements.prefetch_related(*_with_relations())
    return Paginator(statements, size).page(number)


def visible_statement(*, slug: str) -> Statement | None:
    """The statement whose page can be opened (public or archived), or None."""
    quotes = Quote.objects.order_by("position", "pk")
    return (
        Statement.objects.visible()
        .filter(slug=slug)
        .prefetch_related(*_with_relations(), Prefetch("quotes", queryset=quotes))
        .first()
    )


def summaries(statements: list[Statement], *, absolute: Absolute) -> list[dict]:
    """Each statement as the list shows it; one query for all their counts."""
    petitions = [p for statement in statements for p in statement.petitions.all()]
    counts = confirmed_counts(p.pk for p in petitions)
    return [_summary(s, counts=counts, absolute=absolute) for s in statements]


def detail(statement: Statement, *, absolute: Absolute) -> dict:
    """A statement with its body, background and quotes."""
    quotes = [
        {
            "speaker": quote.speaker,
            "role": quote.role,
            "text": quote.text,
            "is_pull_quote": quote.is_pull_quote,
        }
        for quote in statement.quotes.all()
    ]
    return summaries([statement], absolute=absolute)[0] | {
        "body": str(render_markdown(statement.body)),
        "background": str(render_markdown(statement.background)),
        "quotes": quotes,
    }


def translated_languages(statement: Statement) -> list[str]:
    """The languages with the statement's own title and body: the original's,
    and those a campaigner translated it into (the others fall back to it)."""
    return [
        code
        for code, _name in settings.LANGUAGES
        if code == settings.LANGUAGE_CODE
        or (
            getattr(statement, build_localized_fieldname("title", code))
            and getattr(statement, build_localized_fieldname("body", code))
        )
    ]


def _summary(
    statement: Statement, *, counts: dict[int, int], absolute: Absolute
) -> dict:
    return {
        "slug": statement.slug,
        "title": statement.title,
        "standfirst": statement.standfirst,
        "url": absolute(statement.get_absolute_url()),
        "published_at": statement.publish_at,
        "languages": translated_languages(statement),
        "topics": [
            {
                "slug": topic.slug,
                "name": topic.name,
                "kind": topic.kind,
                "url": absolute(topic.get_absolute_url()),
            }
            for topic in statement.topics.all()
        ],
        "calls_to_action": [
            _call_to_action(petition, count=counts[petition.pk], absolute=absolute)
            for petition in statement.petitions.all()
        ],
    }


def _call_to_action(petition: Petition, *, count: int, absolute: Absolute) -> dict:
    return {
        "slug": petition.slug,
        "kind": petition.kind,
        "title": petition.title,
        "demand": petition.demand,
        "target": {
            "name": petition.target.name,
            "description": petition.target.description,
        },
        "state": petition.state,
        "is_open": petition.is_open,
        "count": count,
        "goal": petition.goal,
        "url": absolute(petition.get_absolute_url()),
    }
