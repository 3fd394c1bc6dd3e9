from django.db import migrations


def load(apps, schema_editor):  # type: ignore[no-untyped-def]
    from comptoir.answers.starter import load_starter_set

    load_starter_set(apps.get_model("answers", "CannedResponse"))


class Migration(migrations.Migration):
    dependencies = [("answers", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
