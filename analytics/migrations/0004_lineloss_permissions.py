"""Line-loss read permissions for the staff roles that act on it: marketing analysts (loss reporting),
billing clerks (抄核收: meter reading and checking, the suspects' bills), field engineers (装表接电: the
site inspections) and system administrators. Not customer-service agents or security auditors: loss
figures and theft suspicions are no part of their work."""

from django.db import migrations

from security import roles

VIEW = ["analytics.view_arealossday", "analytics.view_arealossmonth"]
GRANTS = {
    roles.MARKETING_ANALYST: VIEW,
    roles.BILLING_CLERK: VIEW,
    roles.FIELD_ENGINEER: VIEW,
    roles.SYSTEM_ADMINISTRATOR: VIEW,
}


def forwards(apps, schema_editor):
    roles.grant(apps=apps, schema_editor=schema_editor, grants=GRANTS)


class Migration(migrations.Migration):
    dependencies = [("analytics", "0003_segments_permissions"), ("customers", "0003_staff_roles")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
