from django.db import migrations

from security import roles

GRANTS = {
    roles.CUSTOMER_SERVICE_AGENT: [
        "billing.view_prepaidaccount",
        "billing.add_prepaidaccount",
        "billing.change_prepaidaccount",
    ],
    roles.BILLING_CLERK: ["billing.view_prepaidaccount", "billing.add_prepaidaccount", "billing.change_prepaidaccount"],
    roles.SYSTEM_ADMINISTRATOR: [
        "billing.view_prepaidaccount",
        "billing.add_prepaidaccount",
        "billing.change_prepaidaccount",
    ],
}


def forwards(apps, schema_editor):
    roles.grant(apps=apps, schema_editor=schema_editor, grants=GRANTS)


class Migration(migrations.Migration):
    dependencies = [("billing", "0012_prepaid")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
