"""Tariff permissions for the staff roles: clerks and analysts read, system administrators maintain."""

from django.db import migrations

from security import roles

READ = [f"billing.view_{m}" for m in ("tariff", "tariffversion", "toucalendar", "touwindow")]
MAINTAIN = [
    f"billing.{a}_{m}" for m in ("tariff", "tariffversion", "toucalendar", "touwindow") for a in ("add", "change")
]
GRANTS = {
    roles.CUSTOMER_SERVICE_AGENT: READ,
    roles.BILLING_CLERK: READ,
    roles.MARKETING_ANALYST: READ,
    roles.SYSTEM_ADMINISTRATOR: [*READ, *MAINTAIN],
}


def forwards(apps, schema_editor):
    roles.grant(apps=apps, schema_editor=schema_editor, grants=GRANTS)


class Migration(migrations.Migration):
    dependencies = [("billing", "0006_seed_tariffs")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
