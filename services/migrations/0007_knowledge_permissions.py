"""Knowledge article permissions: the customer service agents write and publish the articles, the
system administrator may do the same; other staff read them in the hall like everyone else."""

from django.db import migrations

from security import roles

MANAGE = ["services.view_article", "services.add_article", "services.change_article", "services.delete_article"]
GRANTS = {roles.CUSTOMER_SERVICE_AGENT: MANAGE, roles.SYSTEM_ADMINISTRATOR: MANAGE}


def forwards(apps, schema_editor):
    roles.grant(apps=apps, schema_editor=schema_editor, grants=GRANTS)


class Migration(migrations.Migration):
    dependencies = [("services", "0006_knowledge")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
