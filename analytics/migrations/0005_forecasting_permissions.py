"""Forecasting permissions for the staff roles: analysts and administrators read scopes, models,
forecasts and weather and load weather; administrators also manage scopes."""

from django.db import migrations

from security import roles

VIEW = [
    "analytics.view_forecastscope",
    "analytics.view_forecastmodel",
    "analytics.view_forecast",
    "analytics.view_weatherobservation",
]
WEATHER = ["analytics.add_weatherobservation", "analytics.change_weatherobservation"]
SCOPES = ["analytics.add_forecastscope", "analytics.change_forecastscope"]
GRANTS = {
    roles.MARKETING_ANALYST: [*VIEW, *WEATHER],
    roles.SYSTEM_ADMINISTRATOR: [*VIEW, *WEATHER, *SCOPES],
}


def forwards(apps, schema_editor):
    roles.grant(apps=apps, schema_editor=schema_editor, grants=GRANTS)


class Migration(migrations.Migration):
    dependencies = [("analytics", "0004_lineloss_permissions"), ("customers", "0003_staff_roles")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
