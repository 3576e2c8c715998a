
from django.db import migrations, models


def rebuild_rollups(apps, schema_editor):
    """The tiers' months are new: the rollups are built again from the sources at the next refresh."""
    apps.get_model("insight", "RollupState").objects.update(built_at=None, feeds={})


class Migration(migrations.Migration):

    dependencies = [
        ('insight', '0004_clv_distribution'),
    ]

    operations = [
        migrations.AddField(
            model_name='memberfigures',
            name='tier',
            field=models.PositiveIntegerField(default=0, verbose_name='tier counted'),
        ),
        migrations.CreateModel(
            name='TierMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('tier', models.PositiveIntegerField(verbose_name='tier')),
                ('month', models.PositiveIntegerField(verbose_name='Jalali month')),
                ('prev_month', models.PositiveIntegerField(verbose_name='previous month with a purchase')),
                ('members', models.BigIntegerField(default=0, verbose_name='members who bought')),
                ('purchases', models.BigIntegerField(default=0, verbose_name='purchases')),
                ('amount_rial', models.BigIntegerField(default=0, verbose_name='spend (Rials)')),
            ],
            options={
                'verbose_name': "tier's month",
                'verbose_name_plural': "tiers' months",
                'constraints': [models.UniqueConstraint(fields=('tier', 'month', 'prev_month'), name='tier_month_unique')],
            },
        ),
        migrations.RunPython(rebuild_rollups, migrations.RunPython.noop),
    ]
