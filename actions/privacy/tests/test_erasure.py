"""Erasing a supporter made through the real paths (the signing form, the
confirmation link, a follow-up, one-click unsubscribe, the "Your data" form),
with every email going through a real SMTP server: the data copy lists all of
it, and after erasure the person's name, address and client hash are in no
column of any table and in no export, and every count is what it was."""

import io
import json
import re
from email.message import Message
from functools import partial

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from actions.consent.models import ConsentRecord
from actions.exports import services as exports
from actions.followups import services as followups
from actions.followups.models import FollowUpDelivery
from actions.followups.tests.factories import make_follow_up
from actions.models import Signature
from actions.outbox.models import OutboundEmail
from actions.privacy.models import Erasure
from actions.privacy.tests.scan import occurrences, tables_scanned
from actions.services import confirm_signature
from actions.suppressions.services import suppress
from actions.tests.factories import (
    make_petition,
    make_signature,
    make_staff,
    stamp_for,
)
from actions.tests.smtp import Mailbox, smtp_mailers, smtp_server

pytestmark = pytest.mark.django_db

TYPED = "ZQ.Campaigner@Example.org"
FIRST, LAST = "Zephyrine", "Quillfeather"
CLIENT_HASH = "5e1f" * 16
LINK = re.compile(r"https?://\S+?/(?:petitions/\S+/confirm|your-data)/[^\s/]+/")


def _text(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode()
    raise AssertionError("no text part")


def _links(mailbox: Mailbox, fragment: str) -> list[str]:
    """Paths of the links of this kind in the supporter's emails, in order."""
    return [
        match.group(0).removeprefix(django_settings.SITE_URL)
        for _, to, message in mailbox.envelopes
        if to == [TYPED]
        for match in LINK.finditer(_text(message))
        if fragment in match.group(0)
    ]


def _received(mailbox: Mailbox) -> list[str]:
    return [m["Subject"] for _, to, m in mailbox.envelopes if to == [TYPED]]


def _counts(petitions) -> dict[str, object]:
    return {
        "confirmed": [p.confirmed_count() for p in petitions],
        "by state": sorted(
            Signature.objects.values_list("petition", "state", "country")
        ),
    }


def _csv(user) -> str:
    export = exports.start_export(user=user, filters={}, format="csv", via="download")
    return b"".join(exports.stream_csv(export)).decode("utf-8-sig")


def _xlsx(user, tmp_path) -> str:
    output = tmp_path / "all.xlsx"
    call_command(
        "export_signatures",
        f"--user={user.username}",
        "--format=xlsx",
        f"--output={output}",
        stdout=io.StringIO(),
    )
    sheet = load_workbook(output, read_only=True).active
    return "\n".join(
        "\t".join("" if cell is None else str(cell) for cell in row)
        for row in sheet.iter_rows(values_only=True)
    )


@pytest.fixture
def mailbox(settings):
    box = Mailbox()
    with smtp_server(box) as port:
        settings.MAILERS = smtp_mailers(port)
        yield box


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Do something and run the tasks it enqueues once it commits (Celery
    runs in-process in unit tests)."""

    def do(action):
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return do


def test_erasing_a_supporter_leaves_no_trace_and_keeps_the_counts(
    client,
    mailbox,
    run,
    sign_data,
    statement,
    tmp_path,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.MEDIA_ROOT = tmp_path / "media"
    first = make_petition(statement, title="Cancel the visit")
    second = make_petition(statement, title="Refer the situation to the ICC")
    for n in range(3):  # other people, who must stay as they are
        other = make_signature(first, email=f"other{n}@example.org", wants_updates=True)
        confirm_signature(signature=other)
    me = sign_data | {"first_name": FIRST, "last_name": LAST, "email": TYPED}

    # Signing and confirming, through the pages.
    for petition in (first, second):
        url = reverse("actions:sign", args=[petition.slug])
        data = me | {"wants_updates": "on", "started": stamp_for(petition)}
        signed = run(partial(client.post, url, data))
        assert signed.status_code == 302
    for path in _links(mailbox, "/confirm/"):
        assert run(partial(client.post, path)).status_code == 302
    mine = Signature.objects.filter(canonical_email=TYPED.lower())
    assert set(mine.values_list("state", flat=True)) == {"confirmed"}
    # Stored by the signing path of the branch that hashes client addresses.
    mine.update(client_hash=CLIENT_HASH)

    # A follow-up, and one-click unsubscribe from its List-Unsubscribe header.
    news = make_follow_up(first, subject="News for {{ first_name }}")
    run(lambda: followups.schedule(follow_up=news))
    [follow_up_email] = [m for _, to, m in mailbox.envelopes if to == [TYPED]][-1:]
    assert follow_up_email["Subject"] == f"News for {FIRST}"
    unsubscribe = follow_up_email["List-Unsubscribe"].strip("<>")
    one_click = {"List-Unsubscribe": "One-Click"}
    path = unsubscribe.removeprefix(django_settings.SITE_URL)
    assert run(lambda: client.post(path, one_click)).status_code == 200

    # The "Your data" form, and the link it emails.
    asked = run(lambda: client.post(reverse("actions:your_data"), {"email": TYPED}))
    assert asked["Location"] == reverse("actions:your_data_sent")
    [data_link] = _links(mailbox, "/your-data/")

    # Waiting when the supporter erases: a second follow-up, a repeat signing.
    later = make_follow_up(second, subject="More news")
    followups.schedule(follow_up=later)  # its task waits for the commit
    followups.start(later.pk)
    with django_capture_on_commit_callbacks() as repeat:
        client.post(
            reverse("actions:sign", args=[second.slug]),
            me | {"started": stamp_for(second)},
        )
    for callback in repeat:  # its work after the response; its email stays queued
        callback()
    suppress(
        email=TYPED,
        reason="complained",
        provider="mailgun",
        event_id="complaint-1",
        description=f"Complaint from <{TYPED}>",
    )

    # The copy: a page and a file, and looking changes nothing.
    rows_before = sorted(Signature.objects.values_list())
    page = client.get(data_link)
    download = client.get(data_link + "data.json")
    assert sorted(Signature.objects.values_list()) == rows_before
    assert page.status_code == download.status_code == 200
    copy = json.loads(download.content)
    received = _received(mailbox)
    assert len(received) == 4  # two confirmations, the follow-up, the data link
    assert [s["petition"] for s in copy["signatures"]] == [first.title, second.title]
    assert {
        (s["first_name"], s["last_name"], s["email"]) for s in copy["signatures"]
    } == {(FIRST, LAST, TYPED)}
    assert {s["client_address_hash"] for s in copy["signatures"]} == {CLIENT_HASH}
    consents = [(c["petition"], c["given"], c["form"]) for c in copy["consent_records"]]
    assert consents == [
        (first.title, True, "Signing form"),
        (second.title, True, "Signing form"),
        (first.title, False, "One-click unsubscribe"),
    ]
    assert len(consents) == ConsentRecord.objects.filter(signature__in=mine).count()
    sent = [e["subject"] for e in copy["emails"] if e["state"] == "sent"]
    assert sorted(sent) == sorted(received)
    waiting = [e["subject"] for e in copy["emails"] if e["state"] == "queued"]
    assert sorted(waiting) == ["More news", f"You have already signed: {second.title}"]
    assert len(copy["emails"]) == (
        OutboundEmail.objects.filter(signature__in=mine).count()
        + FollowUpDelivery.objects.filter(signature__in=mine).count()
    )
    for text in (FIRST, LAST, TYPED, first.title, "News for Zephyrine"):
        assert text in page.content.decode()
    assert copy["withdrawals"][0]["petition"] == first.title
    assert copy["suppressions"][0]["reason"] == "Complained of spam"

    root = make_staff("root", superuser=True)
    before = _counts([first, second])
    csv_before = _csv(root)
    assert LAST in csv_before and TYPED in csv_before
    needles = [FIRST, LAST, TYPED, CLIENT_HASH]
    assert all(occurrences(needles).values())  # the scan finds them while held

    # Erasure: one POST.
    erased = client.post(data_link)

    assert erased.status_code == 302
    assert erased["Location"] == reverse("actions:your_data_erased")
    assert occurrences(needles) == {needle: {} for needle in needles}
    assert _counts([first, second]) == before
    csv_after, xlsx_after = _csv(root), _xlsx(root, tmp_path)
    for needle in needles:
        assert needle.lower() not in csv_after.lower()
        assert needle.lower() not in xlsx_after.lower()
    assert csv_after.count("\n") == csv_before.count("\n")
    assert xlsx_after.count("\n") == Signature.objects.count()  # and a header
    assert not OutboundEmail.objects.filter(state="queued").exists()
    assert set(
        FollowUpDelivery.objects.filter(follow_up=later).values_list("state", flat=True)
    ) == {"cancelled"}
    assert list(Erasure.objects.values_list("reason", "signatures")) == [("request", 2)]
    assert client.get(data_link).status_code == 400
    print(
        f"Erasure: 2 signatures, {len(copy['emails'])} emails and "
        f"{len(consents)} consent records listed; {tables_scanned()} tables "
        "scanned, 0 matches after"
    )
