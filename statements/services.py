"""Workflows of the statements app."""

import markdown
import nh3
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from staff import audit
from statements.models import Statement

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "a", "ul", "ol", "li", "blockquote",
    "h2", "h3", "h4", "hr", "code", "pre",
}  # fmt: skip


def render_markdown(text: str) -> SafeString:
    """Campaigner Markdown as HTML that is safe to show: raw HTML is cleaned.

    Links get rel="noopener noreferrer" and only http(s) and mailto schemes.
    """
    html = markdown.markdown(text, extensions=["sane_lists"], output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 just above


def publish_scheduled_statements() -> int:
    """Mark scheduled statements whose time has come as published, at that
    time, each logged as the system user; how many. Repeat-safe.

    Visibility does not wait for this (the published() filter covers due
    scheduled statements); it keeps states and published_at right.
    """
    due = Statement.objects.filter(
        state=Statement.State.SCHEDULED, publish_at__lte=timezone.now()
    )
    published = 0
    for statement in due.order_by("pk"):
        published += _publish_scheduled(statement)
    return published


@transaction.atomic
def _publish_scheduled(statement: Statement) -> int:
    State = Statement.State
    moved = Statement.objects.filter(pk=statement.pk, state=State.SCHEDULED).update(
        state=State.PUBLISHED, published_at=F("publish_at")
    )
    if moved:
        audit.record_transition(
            user_id=audit.system_user_id(),
            obj=statement,
            name="publish",
            source=State.SCHEDULED,
            target=State.PUBLISHED,
        )
    return moved
