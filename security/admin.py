"""Staff console for users and the (read-only) audit log."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from security.models import AuditEvent, User


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    list_display = ["username", "kind", "phone_masked", "is_staff", "is_active", "last_login"]
    list_filter = ["kind", "is_staff", "is_active", "groups"]
    search_fields = ["username", "first_name", "last_name"]
    readonly_fields = ["public_id", "phone_masked", "last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["username", "password", "kind", "public_id", "phone_masked"]}),
        (_("Personal info"), {"fields": ["first_name", "last_name", "email"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]

    @admin.display(description=_("mobile"))
    def phone_masked(self, obj: User) -> str:
        from security.masking import mask_phone

        return mask_phone(obj.phone)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: nobody, not even a superuser, adds, edits or deletes audit events here."""

    list_display = ["occurred_at", "actor_label", "action", "outcome", "object_type", "object_id", "source_ip"]
    list_filter = ["action", "outcome", "object_type", "occurred_at"]
    search_fields = ["actor_label", "object_id", "source_ip"]
    date_hierarchy = "occurred_at"
    list_per_page = 100

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
