"""Campaigners set a petition's abuse limits, keep the block list, read the
hourly flags and invalidate signatures by filter (seeing counts, email domains
and client hashes, never a signer)."""

from django.db import migrations

from actions.migrations._grants import grant, revoke

CAMPAIGNERS = "Campaigners"
PERMISSIONS = [
    "add_abusesettings",
    "change_abusesettings",
    "view_abusesettings",
    "add_blocklistentry",
    "change_blocklistentry",
    "delete_blocklistentry",
    "view_blocklistentry",
    "view_signatureflag",
    "invalidate_signature",
]


def add_abuse_controls(apps, schema_editor) -> None:
    grant(apps, CAMPAIGNERS, PERMISSIONS)


def remove_abuse_controls(apps, schema_editor) -> None:
    revoke(apps, CAMPAIGNERS, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("actions", "0009_abuse_controls"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(add_abuse_controls, remove_abuse_controls)]
