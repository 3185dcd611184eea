"""Every existing petition gets its text as it is now as version 1, so that
signatures from now on record one. Earlier signatures keep none: nobody knows
which words they saw."""

from django.db import migrations
from django.utils import timezone


def keep_first_versions(apps, schema_editor) -> None:
    Petition = apps.get_model("actions", "Petition")
    Revision = apps.get_model("revisions", "Revision")
    now = timezone.now()
    petitions = Petition.objects.filter(current_revision=None).select_related(
        "statement", "target"
    )
    for petition in petitions.iterator():
        revision = Revision.objects.create(
            petition=petition,
            number=1,
            statement_title=petition.statement.title,
            standfirst=petition.statement.standfirst,
            body=petition.statement.body,
            petition_title=petition.title,
            target_name=petition.target.name,
            demand=petition.demand,
            created_at=now,
        )
        Petition.objects.filter(pk=petition.pk).update(current_revision=revision)


class Migration(migrations.Migration):
    dependencies = [
        ("revisions", "0001_initial"),
        ("actions", "0013_petition_current_revision_signature_revision"),
    ]

    operations = [
        migrations.RunPython(keep_first_versions, migrations.RunPython.noop),
    ]
