"""System administrators keep the working calendar (holidays, adjusted working days); every staff role
may read it, since their time limits count on it."""

from django.db import migrations

from security import roles

CALENDAR_GRANTS = {
    roles.SYSTEM_ADMINISTRATOR: [
        "core.view_calendarday",
        "core.add_calendarday",
        "core.change_calendarday",
        "core.delete_calendarday",
    ],
    **{role: ["core.view_calendarday"] for role in roles.ALL_ROLES if role != roles.SYSTEM_ADMINISTRATOR},
}


def grant_calendar(apps, schema_editor):
    roles.grant(apps=apps, schema_editor=schema_editor, grants=CALENDAR_GRANTS)


class Migration(migrations.Migration):
    dependencies = [("security", "0005_user_session_epoch"), ("core", "0001_initial")]

    operations = [migrations.RunPython(grant_calendar, migrations.RunPython.noop)]
