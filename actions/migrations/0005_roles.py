"""The staff roles: groups with the permissions each may hold.

Campaigners write statements and petitions (and see counts) but never see who
signed or export. Reports see and export signatures and edit nothing. Groups
are fetched or created and permissions only added, so a later migration can
extend a role with its own list (e.g. follow-ups for Campaigners).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CAMPAIGNERS = "Campaigners"
REPORTS = "Reports"

ROLES = {
    CAMPAIGNERS: [
        f"{app}.{action}_{model}"
        for app, model in [
            ("statements", "statement"),
            ("statements", "quote"),
            ("statements", "topic"),
            ("actions", "target"),
            ("actions", "petition"),
        ]
        for action in ("add", "change", "view")
    ],
    REPORTS: [
        "actions.view_signature",
        "actions.export_signature",
    ],
}


def _permission(apps, name: str):
    Permission = apps.get_model("auth", "Permission")
    app_label, codename = name.split(".")
    return Permission.objects.get(
        content_type__app_label=app_label, codename=codename
    )


def add_roles(apps, schema_editor) -> None:
    # Permissions are normally made after all migrations ran; the roles need
    # them now.
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    for name, permissions in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*(_permission(apps, p) for p in permissions))


def remove_roles(apps, schema_editor) -> None:
    Group = apps.get_model("auth", "Group")
    for name, permissions in ROLES.items():
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(*(_permission(apps, p) for p in permissions))


class Migration(migrations.Migration):
    dependencies = [
        ("actions", "0004_signature_export"),
        ("statements", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(add_roles, remove_roles)]
