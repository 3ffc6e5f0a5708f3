from django.db import migrations
from django.utils.text import slugify


def seed(apps, schema_editor):
    from registries.geography_data import iter_geography

    HealthAuthority = apps.get_model("registries", "HealthAuthority")
    Division = apps.get_model("registries", "Division")
    PCN = apps.get_model("registries", "PCN")
    Community = apps.get_model("registries", "Community")
    for ha_name, code, division_name, pcn_name, community_name in iter_geography():
        ha, _ = HealthAuthority.objects.get_or_create(name=ha_name, defaults={"code": code})
        division, _ = Division.objects.get_or_create(
            name=division_name, defaults={"slug": slugify(division_name), "health_authority": ha}
        )
        pcn, _ = PCN.objects.get_or_create(name=pcn_name, defaults={"division": division})
        Community.objects.get_or_create(name=community_name, defaults={"division": division, "pcn": pcn})


class Migration(migrations.Migration):
    dependencies = [("registries", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
