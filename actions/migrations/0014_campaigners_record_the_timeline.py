"""Campaigners record and publish a petition's timeline: its delivery, the
target's response and the outcome."""

from django.db import migrations

from actions.migrations._grants import grant, revoke

CAMPAIGNERS = "Campaigners"
PERMISSIONS = [
    f"{verb}_{model}"
    for model in ["delivery", "response", "outcome"]
    for verb in ["add", "change", "delete", "view"]
]


def add_timeline(apps, schema_editor) -> None:
    grant(apps, CAMPAIGNERS, PERMISSIONS)


def remove_timeline(apps, schema_editor) -> None:
    revoke(apps, CAMPAIGNERS, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("actions", "0013_petition_current_revision_signature_revision"),
        ("timeline", "0003_delivery_photo"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(add_timeline, remove_timeline)]
