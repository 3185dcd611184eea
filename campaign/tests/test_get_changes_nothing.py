"""GET never changes state: every URL pattern of the site, public and admin,
opened by a visitor and by a superuser verified by a second factor (with the
parameters its POST would carry, too), leaves every row of every table as it
was."""

import json
import re
from collections import Counter
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern
from django.utils import timezone

from actions.abuse.models import AbuseSettings, BlockListEntry, SignatureFlag
from actions.consent import services as consent
from actions.core.tokens import (
    make_confirmation_token,
    make_data_token,
    make_receipt_token,
    make_thanks_token,
    make_unsubscribe_token,
)
from actions.deliverypacks import services as deliverypacks
from actions.deliverypacks.tasks import build_delivery_pack
from actions.exports import services as exports
from actions.exports.tasks import build_signature_export
from actions.followups.models import FollowUpDelivery, Withdrawal
from actions.followups.tests.factories import make_follow_up, make_recipient
from actions.letters.models import Letter
from actions.letters.tests.factories import make_letter_action
from actions.models import Signature
from actions.outbox.models import OutboundEmail
from actions.privacy import services as privacy
from actions.receipts import services as receipts
from actions.revisions.services import publish_revision
from actions.services import confirm_signature
from actions.suppressions.models import Suppression
from actions.tests.factories import make_signature
from actions.timeline.tests.factories import (
    make_delivery,
    make_outcome,
    make_response,
    png,
)
from campaign.tests.snapshot import changed_tables, database_snapshot
from staff.audit import PREVIEWED, VIEWED_SIGNERS
from staff.twofactor import issue_backup_codes
from statements.pages.demo import write_demo_pages
from statements.tests.factories import make_quote, make_topic

pytestmark = pytest.mark.django_db

PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")
# What a POST to each kind of page would carry, sent as a query string.
POST_LIKE = {
    "confirm": {"confirm": "1"},
    "unsubscribe": {"List-Unsubscribe": "One-Click"},
    "preferences": {"everything": "1"},
    "actions": {"action": "delete_selected", "post": "yes", "index": "0"},
    "export": {"format": "csv"},
}


def _routes(patterns: list, prefix: str = "") -> list[tuple[str, URLPattern]]:
    """Every URL pattern with the route of the resolvers above it."""
    routes = []
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            routes += _routes(entry.url_patterns, route)
        else:
            routes.append((route, entry))
    return routes


@pytest.fixture
def one_of_everything(admin_user, admin_device, petition, settings, tmp_path):
    """At least one row of every model the admin shows, and the values each
    URL parameter takes."""
    settings.MEDIA_ROOT = tmp_path
    statement = petition.statement
    publish_revision(petition=petition)
    topic = make_topic()
    statement.topics.add(topic)
    make_quote(statement)
    pending = make_signature(petition)
    reader = make_recipient(petition)
    thanked = make_signature(petition)
    confirm_signature(signature=thanked)
    OutboundEmail.objects.create(
        kind="confirm", to_email=pending.email, signature=pending
    )
    Suppression.objects.create(
        canonical_email="gone@example.org",
        reason="bounced",
        provider="test",
        event_id="1",
    )
    follow_up = make_follow_up(petition)
    FollowUpDelivery.objects.create(follow_up=follow_up, signature=reader)
    Withdrawal.objects.create(
        canonical_email=reader.canonical_email,
        petition=petition,
        signature=reader,
        method=Withdrawal.Method.LINK,
        withdrawn_at=timezone.now(),
    )
    export = exports.start_export(
        user=admin_user, filters={}, format="csv", via="background"
    )
    build_signature_export(export.pk)
    pack = deliverypacks.request_pack(
        user=admin_user, petition=petition, include_names=True
    )
    build_delivery_pack(pack.pk)
    attempt = {"user_agent": "x", "ip_address": "192.0.2.1", "username": "admin"}
    attempt |= {"http_accept": "*/*", "path_info": "/admin/login/"}
    AccessAttempt.objects.create(
        get_data="", post_data="", failures_since_start=1, **attempt
    )
    AccessLog.objects.create(**attempt)
    AccessFailureLog.objects.create(**attempt)
    LogEntry.objects.log_actions(
        user_id=admin_user.pk, queryset=[statement], action_flag=ADDITION
    )
    AbuseSettings.objects.create(petition=petition, burst_limit=5)
    BlockListEntry.objects.create(kind="domain", value="spam.example")
    issue_backup_codes(user=admin_user)
    SignatureFlag.objects.create(
        petition=petition,
        kind="domain",
        value="spam.example",
        hour=timezone.now().replace(minute=0, second=0, microsecond=0),
        count=30,
    )
    consent.updates_wording()  # its row
    consent.record_withdrawal(signature_id=reader.pk, everything=False, form="link")
    privacy.erase(signature=make_signature(petition))
    make_delivery(petition, photo=png("door.png"), photo_alt="Boxes at the door")
    make_response(petition)
    make_outcome(petition)
    receipts.commit_day(day=thanked.confirmed_at.date())
    write_demo_pages()
    letters = make_letter_action(statement)
    Letter.objects.create(
        signature=make_signature(letters),
        action=letters,
        recipient=letters.letter_settings.recipients.get(),
        subject="Refer it",
        body="Dear members of the Council, a disgrace.",
        moderation_state=Letter.Moderation.HELD,
        held_at=timezone.now(),
    )
    return {
        # The signer's thanks page, "you among them".
        "petitions/<slug:slug>/thanks/": {
            "slug": petition.slug,
            "token": make_thanks_token(thanked.pk),
        },
        "petitions/": {
            "slug": petition.slug,
            "token": make_confirmation_token(pending.pk),
        },
        "statements/": {"slug": statement.slug},
        "api/v1/statements/": {"slug": statement.slug},
        "topics/": {"slug": topic.slug},
        "unsubscribe/": {"token": make_unsubscribe_token(reader.pk)},
        "receipts/": {"token": make_receipt_token(thanked.pk)},
        "your-data/": {"token": make_data_token(pending.pk)},
        "admin/exports/signatureexport/download/": {
            "token": exports.download_token(export, user=admin_user)
        },
        "admin/deliverypacks/deliverypack/download/": {
            "token": deliverypacks.download_token(pack, user=admin_user)
        },
        "admin/section/": {"section": "content"},
        "admin/r/": {
            "content_type_id": ContentType.objects.get_for_model(statement).pk,
            "object_id": statement.pk,
        },
    }


def _url(route: str, pattern: URLPattern, values: dict[str, dict]) -> list[str]:
    """The URLs to open for one pattern (one per app for the app index)."""
    if isinstance(pattern.pattern, RegexPattern):
        regex = pattern.pattern.regex.pattern
        prefix = route[: -len(regex)]
        if "app_label" in regex:
            labels = {model._meta.app_label for model in admin.site._registry}
            return [f"/{prefix}{label}/" for label in sorted(labels)]
        return [f"/{prefix}no-such-page/"]  # the admin's catch-all
    parameters = next(
        (given for start, given in values.items() if route.startswith(start)), {}
    )
    model = _admin_model(route)

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name in parameters:
            return str(parameters[name])
        assert model is not None, route
        instance = model._default_manager.order_by("pk").first()
        assert instance is not None, f"no {model.__name__} to open {route}"
        return str(instance.pk)

    return ["/" + PARAMETER.sub(value, route)]


def _admin_model(route: str):  # noqa: ANN202
    for model in admin.site._registry:
        if route.startswith(f"admin/{model._meta.app_label}/{model._meta.model_name}/"):
            return model
    return None


def _with_post_data(url: str) -> str | None:
    for word, data in [
        ("/confirm/", POST_LIKE["confirm"]),
        ("/preferences/", POST_LIKE["preferences"]),
        ("/unsubscribe/", POST_LIKE["unsubscribe"]),
        ("/export/", POST_LIKE["export"]),
    ]:
        if word in url:
            return url + "?" + "&".join(f"{k}={v}" for k, v in data.items())
    if url.startswith("/admin/") and url.count("/") == 4:  # a change list
        return (
            url
            + "?"
            + "&".join(f"{k}={v}" for k, v in POST_LIKE["actions"].items())
            + "&_selected_action=1&_selected_action=2"
        )
    return None


def test_no_get_of_any_url_changes_any_row(admin_client, one_of_everything):
    routes = _routes(get_resolver().url_patterns)
    urls = [url for route, p in routes for url in _url(route, p, one_of_everything)]
    urls += [u for url in urls if (u := _with_post_data(url))]
    visitor = Client()
    statuses: Counter = Counter()
    crashed = []
    logged = set(LogEntry.objects.values_list("pk", flat=True))
    before = database_snapshot(exclude=["django_admin_log"])

    for url in urls:
        for who, client in [("superuser", admin_client), ("visitor", visitor)]:
            response = client.get(url)
            statuses[who, response.status_code] += 1
            if response.status_code >= 500:
                crashed.append((who, url))

    after = database_snapshot(exclude=["django_admin_log"])
    print(f"{len(routes)} patterns, {len(urls)} URLs, twice each:", statuses)
    assert crashed == []
    assert changed_tables(before, after) == {}
    # The audit log only gains the record of a look (a preview, a sensitive
    # signer's history): looking at who signed is logged, GET or not.
    assert LogEntry.objects.filter(pk__in=logged).count() == len(logged)
    for entry in LogEntry.objects.exclude(pk__in=logged):
        events = {key for event in json.loads(entry.change_message) for key in event}
        assert events <= {PREVIEWED, VIEWED_SIGNERS}, entry.change_message
    assert len(before) >= 20  # the snapshot saw the tables
    assert statuses["superuser", 200] > len(routes) // 2


def test_the_snapshot_notices_a_changed_row(petition):
    signature = make_signature(petition)
    before = database_snapshot()

    Signature.objects.filter(pk=signature.pk).update(
        created_at=signature.created_at - timedelta(seconds=1)
    )

    assert list(changed_tables(before, database_snapshot())) == ["actions_signature"]
