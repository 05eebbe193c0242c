"""Reads behind the knowledge pages (/help/), their API and the apply page's guides: the articles a
visitor may read, in which language, and searching them."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from services.models import Article, ServiceType
from services.models.knowledge import ArticleQuerySet

MAX_QUERY_TERMS = 5
MAX_QUERY_LENGTH = 100


def article_language(*, language: str) -> str:
    """The language to list articles in: the visitor's, if anything is published in it, else Chinese
    (the articles are written in Chinese first)."""
    if language != Article.Language.ZH_HANS and Article.objects.published().filter(language=language).exists():
        return language
    return Article.Language.ZH_HANS


def readable_articles(*, user, language: str | None = None) -> ArticleQuerySet:
    """Published articles for everyone (knowledge is public); drafts too for staff who may view them."""
    articles = Article.objects.all()
    if not (user.is_authenticated and user.is_staff and user.has_perm("services.view_article")):
        articles = articles.published()
    if language:
        articles = articles.filter(language=language)
    return articles


def search_terms(query: str) -> list[str]:
    """Whitespace-separated terms, each of which must match. Chinese is written without spaces, so a
    term is matched as a substring (``icontains``): 阶梯 finds 阶梯电价, 跳闸 finds 家里跳闸怎么办."""
    return query[:MAX_QUERY_LENGTH].split()[:MAX_QUERY_TERMS]


def search_articles(*, articles: QuerySet[Article], query: str) -> QuerySet[Article]:
    """Articles containing every term in the title, summary, body or keywords; title matches first.

    icontains (ILIKE) rather than PostgreSQL full-text search, whose parsers split words on spaces
    and so cannot find a Chinese substring; the knowledge base is a few hundred rows at most, so a
    scan costs nothing and needs no pg_trgm index."""
    terms = search_terms(query)
    if not terms:
        return articles.none()
    for term in terms:
        articles = articles.filter(
            Q(title__icontains=term)
            | Q(summary__icontains=term)
            | Q(keywords__icontains=term)
            | Q(body__icontains=term)
        )
    title_hits = Q()
    for term in terms:
        title_hits &= Q(title__icontains=term)
    return articles.annotate(
        title_rank=Case(When(title_hits, then=Value(0)), default=Value(1), output_field=IntegerField())
    ).order_by("title_rank", "category", "order", "title")


def guides_for(*, service_type: ServiceType) -> list[Article]:
    """Published how-to articles linked to this type (知识库 办事指南), for the apply page."""
    return list(Article.objects.published().filter(service_type_code=service_type.code).order_by("order", "title"))
