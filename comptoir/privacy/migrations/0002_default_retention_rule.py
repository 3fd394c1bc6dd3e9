from django.db import migrations


def add_prospect_rule(apps, schema_editor):  # noqa: ANN001, ANN201
    RetentionRule = apps.get_model("privacy", "RetentionRule")
    # The CNIL's guideline: a prospect's data is kept three years after the last contact.
    RetentionRule.objects.get_or_create(
        applies_to="prospects",
        defaults={"name": "Prospects inactifs depuis 3 ans", "inactive_days": 3 * 365},
    )


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]

    operations = [migrations.RunPython(add_prospect_rule, migrations.RunPython.noop)]
