"""A database at the schema before the features became apps (actions 0010),
holding a row of every moved model, migrates forward with all of them:
rows, relations, permissions and audit log entries."""

import datetime

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, User
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from actions.abuse.models import AbuseSettings, BlockListEntry, SignatureFlag
from actions.consent.models import ConsentRecord, ConsentWording
from actions.exports.models import SignatureExport
from actions.followups.models import FollowUp, FollowUpDelivery, Withdrawal
from actions.models import Petition, Signature
from actions.outbox.models import OutboundEmail
from actions.privacy.models import Erasure
from actions.suppressions.models import Suppression

pytestmark = pytest.mark.django_db(transaction=True)

MOVED = ["abuse", "consent", "exports", "followups", "outbox", "privacy"]
MOVED += ["suppressions"]
# Apps made after the move, whose first migration needs actions 0011 or later:
# not there at the old schema either.
LATER = ["deliverypacks", "revisions", "timeline", "receipts", "letters"]
BEFORE = [
    ("actions", "0010_campaigners_handle_abuse"),
    *((a, None) for a in [*MOVED, *LATER]),
]
AT = datetime.datetime(2026, 11, 1, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _back_to_the_latest_schema():
    """Whatever a test does, the next one finds the database migrated."""
    yield
    _migrate(_latest())


def _migrate(targets: list) -> object:
    """Migrate to these targets; the models as the database then holds them."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    graph = executor.loader.graph
    applied = [node for node in targets if node[1] is not None]
    others = [n for n in graph.leaf_nodes() if n[0] not in {a for a, _ in targets}]
    return executor.loader.project_state([*applied, *others]).apps


def _latest() -> list:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _fill(apps) -> dict[str, int]:
    """One row of each model the move touches, made as the old schema holds them."""
    model = apps.get_model
    user = model("auth", "User").objects.create(username="rita", is_staff=True)
    statement = model("statements", "Statement").objects.create(
        title="S", slug="s", standfirst="s", body="b", state="published", publish_at=AT
    )
    target = model("actions", "Target").objects.create(name="The Council")
    petition = model("actions", "Petition").objects.create(
        statement=statement, target=target, title="P", slug="p", demand="d"
    )
    signature = model("actions", "Signature").objects.create(
        petition=petition,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.org",
        canonical_email="ada@example.org",
        country="KH",
        wants_updates=True,
        state="confirmed",
        confirmed_at=AT,
    )
    wording = model("actions", "ConsentWording").objects.create(
        version=1, text_hash="a" * 64, text="Email me updates", language="en"
    )
    follow_up = model("actions", "FollowUp").objects.create(
        petition=petition, subject="News", body="Hello", state="draft"
    )
    export = model("actions", "SignatureExport").objects.create(
        user=user, username="rita", format="csv", via="command", filters={"a": 1}
    )
    rows = {
        "petition": petition.pk,
        "signature": signature.pk,
        "user": user.pk,
        "outbound": model("actions", "OutboundEmail")
        .objects.create(kind="confirm", to_email="ada@example.org", signature=signature)
        .pk,
        "suppression": model("actions", "Suppression")
        .objects.create(
            canonical_email="bob@example.org",
            reason="bounced",
            provider="mailgun",
            event_id="ev-1",
        )
        .pk,
        "export": export.pk,
        "follow_up": follow_up.pk,
        "delivery": model("actions", "FollowUpDelivery")
        .objects.create(follow_up=follow_up, signature=signature, state="queued")
        .pk,
        "withdrawal": model("actions", "Withdrawal")
        .objects.create(canonical_email="ada@example.org", method="link")
        .pk,
        "wording": wording.pk,
        "record": model("actions", "ConsentRecord")
        .objects.create(
            signature=signature, given=True, wording=wording, form="signing"
        )
        .pk,
        "erasure": model("actions", "Erasure")
        .objects.create(reason="retention", petition=petition, signatures=3)
        .pk,
        "entry": model("actions", "BlockListEntry")
        .objects.create(kind="domain", value="spam.example")
        .pk,
        "flag": model("actions", "SignatureFlag")
        .objects.create(
            petition=petition, kind="domain", value="spam.example", hour=AT, count=30
        )
        .pk,
    }
    model("actions", "AbuseSettings").objects.create(petition=petition, burst_limit=7)
    content_type = model("contenttypes", "ContentType").objects.get(
        app_label="actions", model="followup"
    )
    role = model("auth", "Group").objects.create(name="Writers of follow-ups")
    role.permissions.add(
        model("auth", "Permission").objects.get(
            content_type=content_type, codename="change_followup"
        )
    )
    user.groups.add(role)
    rows["log"] = (
        model("admin", "LogEntry")
        .objects.create(
            user=user,
            content_type=content_type,
            object_id=str(follow_up.pk),
            object_repr="News",
            action_flag=CHANGE,
            change_message="[]",
        )
        .pk
    )
    return rows


def test_a_database_at_the_old_schema_migrates_forward_with_all_its_rows():
    rows = _fill(_migrate(BEFORE))

    _migrate(_latest())

    signature = Signature.objects.get(pk=rows["signature"])
    assert OutboundEmail.objects.get(pk=rows["outbound"]).signature == signature
    assert Suppression.objects.get(pk=rows["suppression"]).event_id == "ev-1"
    export = SignatureExport.objects.get(pk=rows["export"])
    assert (export.username, export.filters, export.user_id) == (
        "rita",
        {"a": 1},
        rows["user"],
    )
    follow_up = FollowUp.objects.get(pk=rows["follow_up"])
    delivery = FollowUpDelivery.objects.get(pk=rows["delivery"])
    assert (delivery.follow_up, delivery.signature) == (follow_up, signature)
    assert Withdrawal.objects.get(pk=rows["withdrawal"]).method == "link"
    record = ConsentRecord.objects.get(pk=rows["record"])
    assert record.wording == ConsentWording.objects.get(pk=rows["wording"])
    assert record.signature == signature
    assert Erasure.objects.get(pk=rows["erasure"]).signatures == 3
    assert BlockListEntry.objects.get(pk=rows["entry"]).value == "spam.example"
    assert SignatureFlag.objects.get(pk=rows["flag"]).count == 30
    petition = Petition.objects.get(pk=rows["petition"])
    assert AbuseSettings.objects.get(petition=petition).burst_limit == 7


def test_permissions_and_audit_entries_follow_the_models_to_their_apps():
    rows = _fill(_migrate(BEFORE))

    _migrate(_latest())

    user = User.objects.get(pk=rows["user"])
    assert user.has_perm("followups.change_followup")
    role = Group.objects.get(name="Writers of follow-ups")
    assert [p.content_type.app_label for p in role.permissions.all()] == ["followups"]
    entry = LogEntry.objects.get(pk=rows["log"])
    assert entry.content_type.app_label == "followups"
    assert entry.get_edited_object() == FollowUp.objects.get(pk=rows["follow_up"])


def test_the_moved_tables_carry_their_apps_names():
    _migrate(BEFORE)
    assert "actions_followup" in connection.introspection.table_names()

    _migrate(_latest())

    tables = set(connection.introspection.table_names())
    assert {
        "followups_followup",
        "outbox_outboundemail",
        "exports_signatureexport",
    } <= (tables)
    assert not {name for name in tables if name.startswith("actions_")} - {
        "actions_petition",
        "actions_petitioncounter",
        "actions_signature",
        "actions_target",
    }


def test_consent_records_stay_append_only_after_the_move():
    rows = _fill(_migrate(BEFORE))
    _migrate(_latest())

    with pytest.raises(Exception, match="append-only"):
        ConsentRecord.objects.filter(pk=rows["record"]).update(given=False)


def test_signatures_from_before_ascii_domains_get_the_canonical_email_of_today():
    # Letters' tables need a later actions schema (the petition's kind).
    apps = _migrate(
        [("actions", "0014_campaigners_record_the_timeline"), ("letters", None)]
    )
    model = apps.get_model
    statement = model("statements", "Statement").objects.create(
        title="S", slug="s", standfirst="s", body="b", state="published", publish_at=AT
    )
    target = model("actions", "Target").objects.create(name="The Council")
    petition = model("actions", "Petition").objects.create(
        statement=statement, target=target, title="P", slug="p", demand="d"
    )
    counter = model("actions", "PetitionCounter")
    counter.objects.create(petition=petition, shard=0, confirmed=2)

    def signed(email: str, old_canonical: str, state: str) -> int:
        row = model("actions", "Signature").objects.create(
            petition=petition,
            first_name="A",
            last_name="B",
            email=email,
            canonical_email=old_canonical,  # what the site computed then
            country="KH",
            state=state,
            confirmed_at=AT if state == "confirmed" else None,
        )
        return row.pk

    ascii_one = signed("me@gmail.com", "me@gmail.com", "confirmed")
    full_width = signed("Me@ｇmail.com", "me@ｇmail.com", "confirmed")
    long_s = signed("ſam@example.org", "sam@example.org", "pending")
    umlaut = signed("bob@Bücher.example", "bob@bücher.example", "pending")

    _migrate(_latest())

    def row(pk: int) -> tuple[str, str]:
        signature = Signature.objects.get(pk=pk)
        return signature.canonical_email, signature.state

    assert row(ascii_one) == ("me@gmail.com", "confirmed")
    # The same mailbox signing twice: the second is invalidated, uncounted.
    assert row(full_width) == ("me@ｇmail.com", "invalidated")
    assert sum(Petition.objects.get().counters.values_list("confirmed", flat=True)) == 1
    # No longer somebody else's address, so sam@example.org can sign.
    assert row(long_s) == ("ſam@example.org", "pending")
    assert row(umlaut) == ("bob@xn--bcher-kva.example", "pending")
