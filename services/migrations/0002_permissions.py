"""Outage and notification permissions for the staff roles."""

from django.db import migrations

from security import roles

VIEW = ["services.view_outagenotice", "services.view_notification", "services.view_notificationdelivery"]
PUBLISH = ["services.add_outagenotice", "services.change_outagenotice"]
GRANTS = {
    roles.CUSTOMER_SERVICE_AGENT: [*VIEW, *PUBLISH],
    roles.FIELD_ENGINEER: [*VIEW, *PUBLISH],
    roles.BILLING_CLERK: VIEW,
    roles.MARKETING_ANALYST: VIEW,
    roles.SECURITY_AUDITOR: VIEW,
    roles.SYSTEM_ADMINISTRATOR: [*VIEW, *PUBLISH],
}


def forwards(apps, schema_editor):
    roles.grant(apps=apps, schema_editor=schema_editor, grants=GRANTS)


class Migration(migrations.Migration):
    dependencies = [("services", "0001_initial"), ("customers", "0003_staff_roles")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
