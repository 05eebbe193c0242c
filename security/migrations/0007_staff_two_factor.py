"""Staff two-factor authentication: the reset permission (security administrators) and its audit actions."""

from django.db import migrations, models

from security import roles


def grant_reset(apps, schema_editor):
    roles.grant(
        apps=apps,
        schema_editor=schema_editor,
        grants={roles.SECURITY_ADMINISTRATOR: ["security.reset_two_factor", "security.view_user"]},
    )


class Migration(migrations.Migration):
    dependencies = [
        ("security", "0006_calendar_permissions"),
        ("otp_totp", "0003_add_timestamps"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="user",
            options={
                "permissions": [("reset_two_factor", "Can reset a staff member's two-factor authentication")],
                "verbose_name": "user",
                "verbose_name_plural": "users",
            },
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("login", "Login"),
                    ("login_failed", "Failed login"),
                    ("logout", "Logout"),
                    ("pii_reveal", "Personal data revealed"),
                    ("create", "Created"),
                    ("update", "Changed"),
                    ("delete", "Deleted"),
                    ("bind", "Account bound"),
                    ("unbind", "Account unbound"),
                    ("bind_failed", "Account binding refused"),
                    ("privilege_change", "Roles, permissions or status changed"),
                    ("privilege_request", "Privileged grant requested"),
                    ("privilege_approve", "Privileged grant approved"),
                    ("privilege_reject", "Privileged grant rejected"),
                    ("bill_status", "Bill status changed"),
                    ("payment", "Payment"),
                    ("ledger_posting", "Ledger posting (payment, reversal, adjustment, credit)"),
                    ("audit_archived", "Audit events archived and pruned"),
                    ("otp_enrolled", "Two-factor authentication set up"),
                    ("otp_verified", "Second factor verified"),
                    ("otp_failed", "Second factor refused"),
                    ("otp_reset", "Two-factor authentication reset"),
                ],
                db_index=True,
                max_length=32,
            ),
        ),
        migrations.RunPython(grant_reset, migrations.RunPython.noop),
    ]
