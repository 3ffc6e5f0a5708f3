from django.db import migrations


def forwards(apps, schema_editor):
    from care.programmes import load

    load(apps.get_model("care", "Programme"))
    apps.get_model("auth", "Group").objects.get_or_create(name="Care coordinator")


class Migration(migrations.Migration):
    dependencies = [("care", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
