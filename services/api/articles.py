"""/api/v1/articles: the published knowledge articles and FAQ, readable by anyone (knowledge is
public, like the /help/ pages). Drafts exist only in the admin. ``?q=`` searches like the hall does."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.throttling import AnonRateThrottle

from services.actions.knowledge import render_markdown
from services.models import Article
from services.selectors.knowledge import search_articles


class ArticleSerializer(serializers.ModelSerializer):
    body_html = serializers.SerializerMethodField(help_text="The body rendered to safe HTML (all input escaped).")
    url = serializers.SerializerMethodField(help_text="The article's business-hall page.")

    class Meta:
        model = Article
        fields = [
            "id",
            "slug",
            "kind",
            "category",
            "language",
            "title",
            "summary",
            "body",
            "body_html",
            "keywords",
            "service_type_code",
            "order",
            "published_at",
            "updated_at",
            "url",
        ]

    def get_body_html(self, article: Article) -> str:
        return str(render_markdown(article.body))

    def get_url(self, article: Article) -> str:
        return article.get_absolute_url()


class ArticleFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", max_length=100, label="Words that must all appear (substrings)")

    class Meta:
        model = Article
        fields = ["kind", "category", "language", "slug", "service_type_code"]

    def filter_q(self, queryset, name, value):
        return search_articles(articles=queryset, query=value) if value.strip() else queryset


@extend_schema_view(
    list=extend_schema(summary="Published knowledge articles and FAQ entries (public)", auth=[]),
    retrieve=extend_schema(summary="One published article (public)", auth=[]),
)
class ArticleViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ArticleSerializer
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]
    queryset = Article.objects.none()
    filterset_class = ArticleFilter
    ordering_fields = ["order", "published_at", "updated_at"]

    def get_queryset(self):
        return Article.objects.published().order_by("category", "order", "title")
