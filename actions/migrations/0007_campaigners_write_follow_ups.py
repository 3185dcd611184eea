"""Campaigners write follow-ups (the deliveries and withdrawals name signers,
so they stay out of the role, like signatures)."""

from django.db import migrations

from actions.migrations._grants import grant, revoke

CAMPAIGNERS = "Campaigners"
PERMISSIONS = ["add_followup", "change_followup", "view_followup"]


def add_follow_ups(apps, schema_editor) -> None:
    grant(apps, CAMPAIGNERS, PERMISSIONS)


def remove_follow_ups(apps, schema_editor) -> None:
    revoke(apps, CAMPAIGNERS, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("actions", "0006_follow_ups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(add_follow_ups, remove_follow_ups)]
