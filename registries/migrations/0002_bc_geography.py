from django.db import migrations


def seed(apps, schema_editor):
    from registries.geography_data import load

    load(*(apps.get_model("registries", name) for name in ("HealthAuthority", "Division", "PCN", "Community")))


class Migration(migrations.Migration):
    dependencies = [("registries", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
