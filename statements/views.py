from django.conf import settings
from django.contrib.sitemaps import views as sitemaps
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import translation
from django.views.decorators.cache import cache_control, cache_page
from django.views.decorators.http import require_safe

from actions.core.forms import arrival_source
from actions.timeline import services as timeline
from actions.timeline.models import Outcome
from actions.views import petition_cards
from statements.feeds import StatementFeed, TopicFeed
from statements.models import Statement, Topic
from statements.services import render_markdown
from statements.sharing import services as sharing
from statements.sitemaps import SITEMAPS

# Public pages set no cookie and carry nothing personal, so each web process and
# any CDN in front may serve them for a few seconds: a reload storm costs one
# render per process per interval.
public_page = cache_page(settings.PAGE_CACHE_SECONDS, cache="pages")
public_headers = cache_control(public=True)
OUTCOMES = Outcome.Result.values


def _statement_list(
    request: HttpRequest,
    statements: QuerySet[Statement],
    template: str,
    **extra: object,
) -> HttpResponse:
    page = Paginator(statements.prefetch_related("topics"), 10).get_page(
        request.GET.get("page")
    )
    return render(request, template, {"page_obj": page, **extra})


@require_safe
@public_headers
@public_page
def home(request: HttpRequest) -> HttpResponse:
    statements = Statement.objects.published()
    outcome = request.GET.get("outcome", "")
    if outcome in OUTCOMES:  # anything else: every statement
        statements = statements.filter(
            pk__in=timeline.statement_ids_with_outcome(outcome)
        )
    else:
        outcome = ""
    return _statement_list(request, statements, "statements/home.html", outcome=outcome)


@require_safe
@public_headers
@public_page
def topic_detail(request: HttpRequest, slug: str) -> HttpResponse:
    topic = get_object_or_404(Topic, slug=slug)
    statements = Statement.objects.published().filter(topics=topic)
    return _statement_list(
        request, statements, "statements/topic_detail.html", topic=topic
    )


@require_safe
@public_headers
@public_page
def statement_detail(request: HttpRequest, slug: str) -> HttpResponse:
    statement = get_object_or_404(Statement.objects.visible(), slug=slug)
    return render_statement(request, statement)


def render_statement(request: HttpRequest, statement: Statement) -> HttpResponse:
    """The statement page; also the admin's preview of a draft."""
    petitions = list(statement.petitions.select_related("target"))
    quotes = list(statement.quotes.all())
    language = translation.get_language()
    written = statement.is_written_in(language)
    cards = petition_cards(petitions, source=arrival_source(request.GET))
    context = {
        "statement": statement,
        # Not translated yet: the original, its parts marked as in its language.
        "fallback_language": "" if written else settings.LANGUAGE_CODE,
        "original_language_name": dict(settings.LANGUAGES)[settings.LANGUAGE_CODE],
        "body_html": render_markdown(statement.body),
        "background_html": render_markdown(statement.background),
        "quotes": quotes,
        "pull_quote": next((q for q in quotes if q.is_pull_quote), None),
        "topics": list(statement.topics.all()),
        "cards": cards,
        # The links at the top to each form still taking signatures or letters.
        "open_cards": [c for c in cards if c["petition"].is_open and c["form"]],
        "sharing": sharing.page_sharing(statement=statement),
    }
    return render(request, "statements/statement_detail.html", context)


# Atom feeds, in the language of their prefix (statements/feeds.py).
statement_feed = require_safe(public_headers(public_page(StatementFeed())))
topic_feed = require_safe(public_headers(public_page(TopicFeed())))


@require_safe
@public_headers
@public_page
def sitemap(request: HttpRequest) -> HttpResponse:
    """sitemap.xml: every public page in every language, with its alternates."""
    return sitemaps.sitemap(request, sitemaps=SITEMAPS)
