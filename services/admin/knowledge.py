"""Staff console for knowledge articles and FAQ: search, filters, a rendered preview of the body,
and publish / unpublish actions through the knowledge service."""

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core import clock
from services.actions.knowledge import publish_articles, render_markdown, unpublish_articles
from services.models import Article


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "category", "language", "order", "is_published", "published_at", "updated_at"]
    list_filter = ["is_published", "kind", "category", "language"]
    list_editable = ["order"]
    search_fields = ["title", "summary", "keywords", "body", "slug", "service_type_code"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["is_published", "published_at", "created_at", "updated_at", "preview"]
    fieldsets = [
        (None, {"fields": ["kind", "category", "language", "title", "slug", "summary", "body", "preview"]}),
        (_("Finding it"), {"fields": ["keywords", "order", "service_type_code"]}),
        (_("Publication"), {"fields": ["is_published", "published_at", "created_at", "updated_at"]}),
    ]
    actions = ["publish_selected", "unpublish_selected"]

    @admin.display(description=_("Preview (as customers see it, after saving)"))
    def preview(self, obj: Article) -> str:
        if obj is None or not obj.pk:
            return "—"
        return format_html('<div class="kb-preview" style="max-width:760px">{}</div>', render_markdown(obj.body))

    @admin.action(description=_("Publish in the business hall"), permissions=["change"])
    def publish_selected(self, request, queryset):
        count = publish_articles(
            actor=request.user, article_ids=queryset.values_list("pk", flat=True), as_of=clock.now()
        )
        messages.success(request, _("%(count)d article(s) published.") % {"count": count})

    @admin.action(description=_("Unpublish (hide from customers)"), permissions=["change"])
    def unpublish_selected(self, request, queryset):
        count = unpublish_articles(actor=request.user, article_ids=queryset.values_list("pk", flat=True))
        messages.success(request, _("%(count)d article(s) hidden.") % {"count": count})
