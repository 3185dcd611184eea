"""Migration actions 0012: petitions still "open" before their opening time
become scheduled; the others keep their state."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("actions", "0011_features_become_apps")]
AFTER = [("actions", "0012_petition_scheduled_and_opened_at")]


@pytest.fixture(autouse=True)
def _back_to_the_latest_schema():
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _migrate(targets: list) -> object:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_open_petitions_not_yet_open_become_scheduled():
    apps = _migrate(BEFORE)
    statement = apps.get_model("statements", "Statement").objects.create(
        title="S", slug="s", standfirst="s", body="b", state="draft"
    )
    target = apps.get_model("actions", "Target").objects.create(name="The Council")
    Petition = apps.get_model("actions", "Petition")
    hour = datetime.timedelta(hours=1)
    fields = {"statement": statement, "target": target, "demand": "d"}
    for slug, opens_at, state in [
        ("later", timezone.now() + hour, "open"),
        ("now", timezone.now() - hour, "open"),
        ("closed", timezone.now() + hour, "closed"),
    ]:
        Petition.objects.create(
            title=slug, slug=slug, opens_at=opens_at, state=state, **fields
        )

    apps = _migrate(AFTER)

    states = dict(
        apps.get_model("actions", "Petition").objects.values_list("slug", "state")
    )
    assert states == {"later": "scheduled", "now": "open", "closed": "closed"}
