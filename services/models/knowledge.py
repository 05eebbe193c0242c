"""Knowledge articles and FAQ (用电安全知识, 节能小贴士, 办事指南, 电费电价, 常见问题) for the business hall.

A FAQ entry is an Article with ``kind=faq``: its title is the question and its body the answer, so
staff manage one kind of thing in the admin and search covers both. Bodies are a small Markdown
subset rendered by ``services.actions.knowledge.render_markdown``, which escapes everything first:
no HTML typed into the admin ever reaches a customer's page.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class ArticleQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)


class Article(models.Model):
    class Kind(models.TextChoices):
        ARTICLE = "article", _("Article")
        FAQ = "faq", _("FAQ (question and answer)")

    class Category(models.TextChoices):
        SAFETY = "safety", _("Electrical safety")
        ENERGY_SAVING = "energy_saving", _("Energy-saving tips")
        HOW_TO_APPLY = "how_to_apply", _("How to apply")
        BILLING = "billing", _("Bills and tariffs")
        OUTAGE = "outage", _("Outages and repairs")

    class Language(models.TextChoices):
        ZH_HANS = "zh-hans", "简体中文"
        EN = "en", "English"

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.ARTICLE, db_index=True)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices, db_index=True)
    title = models.CharField(_("title"), max_length=200, help_text=_("For a FAQ entry: the question."))
    slug = models.SlugField(_("slug"), max_length=80, help_text=_("The article's address: /help/<slug>/."))
    summary = models.CharField(_("summary"), max_length=300, blank=True, help_text=_("One or two plain sentences."))
    body = models.TextField(
        _("body"),
        help_text=_(
            "Markdown: ## heading, - list item, 1. numbered item, **bold**, [text](/path or https://…), "
            "| table | rows |. HTML is shown as text."
        ),
    )
    keywords = models.CharField(
        _("keywords"), max_length=300, blank=True, help_text=_("Extra words customers search for, e.g. 跳闸 漏电.")
    )
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=Language.ZH_HANS)
    order = models.PositiveSmallIntegerField(_("order"), default=100, help_text=_("Smaller comes first."))
    service_type_code = models.CharField(
        _("service request type"),
        max_length=40,
        blank=True,
        help_text=_("Code of the service request type this article explains, e.g. res_new_connection."),
    )
    is_published = models.BooleanField(_("published"), default=False, db_index=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["category", "order", "title"]
        verbose_name = _("knowledge article")
        verbose_name_plural = _("knowledge articles")
        constraints = [
            models.UniqueConstraint(fields=["language", "slug"], name="article_slug_unique_per_language"),
            models.CheckConstraint(
                condition=Q(is_published=False) | Q(published_at__isnull=False),
                name="article_published_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("knowledge:article", kwargs={"slug": self.slug})
