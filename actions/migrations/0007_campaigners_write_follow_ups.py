"""Campaigners write follow-ups (the deliveries and withdrawals name signers,
so they stay out of the role, like signatures)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CAMPAIGNERS = "Campaigners"
PERMISSIONS = ["add_followup", "change_followup", "view_followup"]


def _permissions(apps):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(
        content_type__app_label="actions", codename__in=PERMISSIONS
    )


def add_follow_ups(apps, schema_editor) -> None:
    # Permissions are normally made after all migrations ran; the role needs
    # them now.
    app_config = apps.get_app_config("actions")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name=CAMPAIGNERS)
    group.permissions.add(*_permissions(apps))


def remove_follow_ups(apps, schema_editor) -> None:
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name=CAMPAIGNERS).first()
    if group is not None:
        group.permissions.remove(*_permissions(apps))


class Migration(migrations.Migration):
    dependencies = [
        ("actions", "0006_follow_ups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(add_follow_ups, remove_follow_ups)]
