"""Who reads customer segments: the marketing analyst (campaigns) and the system administrator."""

from django.db import migrations

from security import roles

VIEW_SEGMENTS = ["analytics.view_segmentationrun", "analytics.view_segment", "analytics.view_accountsegment"]
GRANTS = {
    roles.MARKETING_ANALYST: VIEW_SEGMENTS,
    roles.SYSTEM_ADMINISTRATOR: VIEW_SEGMENTS,
}


def forwards(apps, schema_editor):
    roles.grant(apps=apps, schema_editor=schema_editor, grants=GRANTS)


class Migration(migrations.Migration):
    dependencies = [("analytics", "0002_dashboard_permissions"), ("customers", "0003_staff_roles")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
