"""Bill and billing-run permissions for the staff roles."""

from django.db import migrations

from security import roles

VIEW = [
    "billing.view_bill",
    "billing.view_billline",
    "billing.view_billread",
    "billing.view_billingrun",
    "billing.view_tariffassignment",
]
GRANTS = {
    roles.CUSTOMER_SERVICE_AGENT: VIEW,
    roles.BILLING_CLERK: [
        *VIEW,
        "billing.change_bill",
        "billing.add_billingrun",
        "billing.add_tariffassignment",
        "billing.change_tariffassignment",
    ],
    roles.MARKETING_ANALYST: VIEW,
    roles.SECURITY_AUDITOR: ["billing.view_bill"],
    roles.SYSTEM_ADMINISTRATOR: [
        *VIEW,
        "billing.change_bill",
        "billing.add_billingrun",
        "billing.add_tariffassignment",
        "billing.change_tariffassignment",
    ],
}


def forwards(apps, schema_editor):
    roles.grant(apps=apps, schema_editor=schema_editor, grants=GRANTS)


class Migration(migrations.Migration):
    dependencies = [("billing", "0008_bills")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
