"""Ledger and payment permissions for the staff roles, and a group for bank / counter integrators."""

from django.db import migrations

from security import roles

VIEW = ["billing.view_payment", "billing.view_ledgerentry", "billing.view_paymentallocation"]
GRANTS = {
    roles.CUSTOMER_SERVICE_AGENT: VIEW,
    roles.BILLING_CLERK: [*VIEW, "billing.add_payment", "billing.change_payment"],
    roles.MARKETING_ANALYST: VIEW,
    roles.SECURITY_AUDITOR: VIEW,
    roles.SYSTEM_ADMINISTRATOR: [*VIEW, "billing.add_payment", "billing.change_payment"],
    # Banks and counters post payments to accounts they name; they read accounts, nothing more.
    "integration_payment_channel": ["billing.add_payment", "billing.view_payment", "customers.view_account"],
}


def forwards(apps, schema_editor):
    roles.grant(apps=apps, schema_editor=schema_editor, grants=GRANTS)


class Migration(migrations.Migration):
    dependencies = [("billing", "0010_ledger_payments"), ("customers", "0003_staff_roles")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
