"""Create the default team "Service client": Monday to Friday, 9:00–18:00, Paris time."""

from datetime import time

from django.db import migrations


def create_default_team(apps, schema_editor):  # noqa: ANN001
    Team = apps.get_model("teams", "Team")
    BusinessHours = apps.get_model("teams", "BusinessHours")
    if Team.objects.filter(is_default=True).exists():
        return
    team, _ = Team.objects.get_or_create(
        name="Service client", defaults={"is_default": True, "time_zone": "Europe/Paris"}
    )
    BusinessHours.objects.bulk_create(
        BusinessHours(team=team, weekday=weekday, opens_at=time(9), closes_at=time(18))
        for weekday in range(5)
    )


class Migration(migrations.Migration):
    dependencies = [("teams", "0001_initial")]

    operations = [migrations.RunPython(create_default_team, migrations.RunPython.noop)]
