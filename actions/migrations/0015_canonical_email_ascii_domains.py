"""Signatures taken before domains were put in their ASCII form (issue 12)
get the canonical email the site now computes, so that one mailbox is one
signature whatever form of its address was typed.

Before, "me@ｇmail.com" (a full-width g) kept its domain as typed, so it did
not meet "me@gmail.com", and "ſam@example.org" (a long s) was folded into
"sam@example.org", somebody else's address. Each row whose address is not
all ASCII is computed again (``actions.core.canonical.canonical_email``):

- when the new form is free on its petition, the row takes it;
- when another signature of the petition holds it already, the row is the
  same mailbox signing twice: it is invalidated (a confirmed one leaves the
  count) and keeps its old form, which nothing computes any more. The one
  kept is the signature that held the form already; among rows that reach
  the same form here, a confirmed one before a pending one, then the oldest.

Repeat-safe, and a no-op on a database with no such row. Going back leaves
the rows as they are: the old forms were the bug.
"""

import random

from django.db import migrations
from django.db.models import F, Q
from django.utils import timezone

from actions.core.canonical import canonical_email

# The order in which rows reaching one form keep it.
KEEP_FIRST = {"confirmed": 0, "pending": 1, "suspect": 2, "invalidated": 3}
SHARDS = 16  # actions.models.COUNT_SHARDS when this was written


# Outside ASCII, in a pattern PostgreSQL and SQLite (Python's re) both read.
NOT_ASCII = r"[^\x01-\x7F]"


def _not_ascii(model):
    """Rows that still hold an address (not anonymised) outside ASCII."""
    return list(
        model.objects.filter(anonymised_at__isnull=True)
        .filter(Q(email__regex=NOT_ASCII) | Q(canonical_email__regex=NOT_ASCII))
        .only("pk", "petition_id", "email", "canonical_email", "state", "created_at")
    )


def recompute(apps, schema_editor) -> None:
    Signature = apps.get_model("actions", "Signature")
    PetitionCounter = apps.get_model("actions", "PetitionCounter")
    rows = _not_ascii(Signature)
    rows.sort(key=lambda r: (KEEP_FIRST.get(r.state, 9), r.created_at, r.pk))
    now = timezone.now()
    uncounted: dict[int, int] = {}
    for row in rows:
        new = canonical_email(row.email)
        if new == row.canonical_email:
            continue
        taken = Signature.objects.filter(
            petition_id=row.petition_id, canonical_email=new
        ).exists()
        if not taken:
            Signature.objects.filter(pk=row.pk).update(canonical_email=new)
        elif row.state != "invalidated":
            Signature.objects.filter(pk=row.pk).update(
                state="invalidated", invalidated_at=now
            )
            if row.state == "confirmed":
                uncounted[row.petition_id] = uncounted.get(row.petition_id, 0) + 1
    for petition_id, n in uncounted.items():
        counter, _ = PetitionCounter.objects.get_or_create(
            petition_id=petition_id, shard=random.randrange(SHARDS)
        )
        PetitionCounter.objects.filter(pk=counter.pk).update(
            confirmed=F("confirmed") - n
        )


class Migration(migrations.Migration):
    dependencies = [("actions", "0014_campaigners_record_the_timeline")]

    operations = [
        migrations.RunPython(recompute, migrations.RunPython.noop, elidable=True)
    ]
