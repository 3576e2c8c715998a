from django.db import migrations


def create_defaults(apps, schema_editor):
    apps.get_model("program", "ProgramSettings").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("program", "0001_initial")]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
