"""Campaigners run letter actions: their recipients and settings, and the
moderation of held letters (they see a letter's text, never who wrote it)."""

from django.db import migrations

from actions.migrations._grants import grant, revoke

CAMPAIGNERS = "Campaigners"
PERMISSIONS = [
    f"{verb}_{model}"
    for model in ["letteraction", "recipient", "lettersettings", "countryrecipient"]
    for verb in ["add", "change", "delete", "view"]
] + ["view_letter", "moderate_letter"]


def add_letters(apps, schema_editor) -> None:
    grant(apps, CAMPAIGNERS, PERMISSIONS)


def remove_letters(apps, schema_editor) -> None:
    revoke(apps, CAMPAIGNERS, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("letters", "0001_recipients_settings_letters"),
        ("actions", "0016_petition_kind"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(add_letters, remove_letters)]
