from decimal import Decimal

from django.db import migrations


def create_units(apps, schema_editor):
    UomCategory = apps.get_model("sales", "UomCategory")
    Uom = apps.get_model("sales", "Uom")
    working_time, _ = UomCategory.objects.get_or_create(name="Working time")
    units = [
        ("Hours", "reference", Decimal("1")),
        ("Days", "bigger", Decimal("8")),
        ("Minutes", "smaller", Decimal("60")),
    ]
    for name, uom_type, ratio in units:
        Uom.objects.get_or_create(
            name=name,
            defaults={"category": working_time, "uom_type": uom_type, "ratio": ratio},
        )
    unit_cat, _ = UomCategory.objects.get_or_create(name="Unit")
    Uom.objects.get_or_create(
        name="Units", defaults={"category": unit_cat, "uom_type": "reference", "ratio": 1}
    )


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]

    operations = [migrations.RunPython(create_units, migrations.RunPython.noop)]
