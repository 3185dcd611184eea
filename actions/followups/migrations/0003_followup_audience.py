"""A follow-up goes to one petition's signers, a statement's or a topic's
(exactly one), and may wait for the petition to be won."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('followups', '0002_rename_tables'),
        ('statements', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='followup',
            name='petition',
            field=models.ForeignKey(blank=True, help_text='Its consenting signers.', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='follow_ups', to='actions.petition', verbose_name='petition'),
        ),
        migrations.AddField(
            model_name='followup',
            name='statement',
            field=models.ForeignKey(blank=True, help_text='The consenting signers of all its petitions, each person once (by email address, through their latest signature).', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='statements.statement', verbose_name='statement'),
        ),
        migrations.AddField(
            model_name='followup',
            name='topic',
            field=models.ForeignKey(blank=True, help_text='The consenting signers of every petition of the statements on this topic, each person once.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='statements.topic', verbose_name='topic'),
        ),
        migrations.AlterField(
            model_name='followup',
            name='trigger',
            field=models.CharField(choices=[('now', 'As soon as it is scheduled'), ('at', 'At a given time'), ('after_confirmation', 'A number of days after each signature is confirmed'), ('goal_reached', 'When the petition reaches its goal'), ('delivered', 'When the petition is marked delivered'), ('won', 'When the petition is marked won')], default='now', max_length=30, verbose_name='send'),
        ),
        migrations.AddConstraint(
            model_name='followup',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('petition__isnull', False), ('statement__isnull', True), ('topic__isnull', True)), models.Q(('petition__isnull', True), ('statement__isnull', False), ('topic__isnull', True)), models.Q(('petition__isnull', True), ('statement__isnull', True), ('topic__isnull', False)), _connector='OR'), name='followup_one_audience'),
        ),
        migrations.AddConstraint(
            model_name='followup',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('trigger__in', ['goal_reached', 'delivered', 'won']), _negated=True), ('petition__isnull', False), _connector='OR'), name='followup_milestone_has_petition'),
        ),
    ]
