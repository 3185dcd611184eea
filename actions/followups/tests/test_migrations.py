"""Follow-ups written before languages came keep their text as the original."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from actions.followups.models import FollowUp
from actions.followups.tests.factories import make_follow_up

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("followups", "0006_closed_trigger")


def _migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([target])


def test_the_text_of_existing_follow_ups_becomes_the_english_one(petition):
    follow_up = make_follow_up(petition, subject="Delivered", body="We did it.")
    latest = [
        node
        for node in MigrationExecutor(connection).loader.graph.leaf_nodes()
        if node[0] == "followups"
    ][0]
    _migrate(BEFORE)
    try:
        _migrate(latest)
    finally:
        _migrate(latest)

    again = FollowUp.objects.get(pk=follow_up.pk)
    assert (again.subject_en, again.body_en) == ("Delivered", "We did it.")
    assert again.subject_fr is None and again.body_fr is None
