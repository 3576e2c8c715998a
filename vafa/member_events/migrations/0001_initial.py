# The events and packaging codes moved here from commerce (their rows stay; the tables are renamed).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('commerce', '0003_packaging_codes'),
        ('members', '0003_club'),
        ('merchants', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Event',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('type', models.CharField(max_length=64, verbose_name='type')),
                        ('key', models.CharField(blank=True, max_length=200, null=True, unique=True, verbose_name='key')),
                        ('properties', models.JSONField(blank=True, default=dict, verbose_name='properties')),
                        ('points_earned', models.BigIntegerField(default=0, verbose_name='points earned')),
                        ('applied_rules', models.JSONField(default=list, verbose_name='applied rules')),
                        ('occurred_at', models.DateTimeField(verbose_name='occurred at')),
                        ('recorded_at', models.DateTimeField(auto_now_add=True, verbose_name='recorded at')),
                        ('member', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='events', to='members.member', verbose_name='member')),
                        ('merchant', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='merchants.merchant', verbose_name='merchant')),
                    ],
                    options={
                        'verbose_name': 'event',
                        'verbose_name_plural': 'events',
                        'db_table': 'commerce_event',
                        'indexes': [models.Index(fields=['member', 'type'], name='event_member_type')],
                    },
                ),
                migrations.CreateModel(
                    name='PackagingCode',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.CharField(max_length=64, unique=True, verbose_name='code')),
                        ('sku', models.CharField(blank=True, max_length=64, verbose_name='SKU')),
                        ('batch', models.CharField(blank=True, max_length=64, verbose_name='batch')),
                        ('uploaded_at', models.DateTimeField(auto_now_add=True, verbose_name='uploaded at')),
                        ('event', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='member_events.event', verbose_name='used by')),
                    ],
                    options={
                        'verbose_name': 'packaging code',
                        'verbose_name_plural': 'packaging codes',
                        'db_table': 'commerce_packagingcode',
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name='event', table=None),
        migrations.AlterModelTable(name='packagingcode', table=None),
    ]
