"""Who reads the staff overview dashboards (sales, collection, arrears).

Marketing analysts, billing clerks (collection and arrears are their work) and system administrators.
Not the security auditor: the dashboards show business figures, not access records, and an auditor
who needs them can be given the permission explicitly.
"""

from django.db import migrations

from security import roles

GRANTS = {
    roles.MARKETING_ANALYST: ["analytics.view_dashboards"],
    roles.BILLING_CLERK: ["analytics.view_dashboards"],
    roles.SYSTEM_ADMINISTRATOR: ["analytics.view_dashboards"],
}


def forwards(apps, schema_editor):
    roles.grant(apps=apps, schema_editor=schema_editor, grants=GRANTS)


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_initial"), ("customers", "0003_staff_roles")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
