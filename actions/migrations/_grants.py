"""Helpers for the data migrations that extend a staff role. The migration
loader skips modules whose name starts with an underscore."""

from django.contrib.auth.management import create_permissions


# The apps whose models began in the actions app (migration 0011 moved them),
# and later feature apps whose permissions a role gets here.
LABELS = [
    "actions",
    "abuse",
    "consent",
    "exports",
    "followups",
    "outbox",
    "privacy",
    "suppressions",
    "timeline",
    "letters",
]


def grant(apps, group_name: str, codenames: list[str]) -> None:
    """Give the group these permissions of the actions app's models, wherever
    those models live now (repeat-safe)."""
    # Permissions are normally made after all migrations ran; the role needs
    # them now.
    for app_config in apps.get_app_configs():
        if app_config.label in LABELS:
            # Restored after: a live app config (tests pass the live registry)
            # without its models module would get no content types any more.
            models_module = getattr(app_config, "models_module", None)
            app_config.models_module = True
            create_permissions(app_config, apps=apps, verbosity=0)
            app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name=group_name)
    group.permissions.add(*_permissions(apps, codenames))


def revoke(apps, group_name: str, codenames: list[str]) -> None:
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name=group_name).first()
    if group is not None:
        group.permissions.remove(*_permissions(apps, codenames))


def _permissions(apps, codenames: list[str]):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(
        content_type__app_label__in=LABELS, codename__in=codenames
    )
