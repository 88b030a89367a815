"""Load the official tax classification code table, so the database has it after migrate."""

from django.db import migrations


def load(apps, schema_editor):
    from invoicing.taxcodes.loader import load_tax_codes

    load_tax_codes(apps.get_model("invoicing", "TaxCode"))


class Migration(migrations.Migration):

    dependencies = [
        ("invoicing", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(load, migrations.RunPython.noop, elidable=False),
    ]
