"""Migration revisions 0002: existing petitions get their text as version 1."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("actions", "0013_petition_current_revision_signature_revision"),
    ("revisions", "0001_initial"),
]
AFTER = [("revisions", "0002_first_versions")]


@pytest.fixture(autouse=True)
def _back_to_the_latest_schema():
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _migrate(targets: list) -> object:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_existing_petitions_get_their_text_as_version_one():
    apps = _migrate(BEFORE)
    statement = apps.get_model("statements", "Statement").objects.create(
        title="S", slug="s", standfirst="s", body="b", state="draft"
    )
    target = apps.get_model("actions", "Target").objects.create(name="The Council")
    apps.get_model("actions", "Petition").objects.create(
        statement=statement, target=target, title="P", slug="p", demand="d"
    )

    apps = _migrate(AFTER)

    petition = apps.get_model("actions", "Petition").objects.get()
    revision = petition.current_revision
    assert (revision.number, revision.body, revision.target_name) == (
        1,
        "b",
        "The Council",
    )
    assert revision.demand == "d"
