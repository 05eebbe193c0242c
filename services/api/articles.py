"""/api/v1/articles: the published knowledge articles and FAQ, readable by anyone (knowledge is
public, like the /help/ pages). Drafts exist only in the admin. ``?q=`` searches like the hall does."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.permissions import AllowAny
from rest_framework.throttling import AnonRateThrottle

from services.api.serializers import ArticleSerializer
from services.filtersets import ArticleFilter
from services.models import Article


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
