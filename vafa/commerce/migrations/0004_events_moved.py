# Events and packaging codes now belong to member_events, which took their tables.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('commerce', '0003_packaging_codes'),
        ('member_events', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='PackagingCode'),
                migrations.DeleteModel(name='Event'),
            ],
            database_operations=[],
        ),
    ]
