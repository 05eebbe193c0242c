"""Business-hall knowledge pages under /help/ (用电知识): the list by category with a search box, one
article, and the FAQ as an accordion. Public: visitors read them without logging in."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language

from services.actions.knowledge import render_markdown
from services.models import Article
from services.selectors.knowledge import article_language, readable_articles, search_articles

RELATED_COUNT = 3


def _language() -> str:
    return article_language(language=get_language() or Article.Language.ZH_HANS)


def _category(request: HttpRequest) -> str:
    category = request.GET.get("category", "")
    return category if category in Article.Category.values else ""


def help_index(request: HttpRequest) -> HttpResponse:
    language = _language()
    articles = readable_articles(user=request.user, language=language)
    query = request.GET.get("q", "").strip()
    category = _category(request)
    if category:
        articles = articles.filter(category=category)
    context = {
        "query": query,
        "category": category,
        "categories": Article.Category.choices,
        "fallback_language": language != (get_language() or language),
    }
    if query:
        context["results"] = list(search_articles(articles=articles, query=query))
    else:
        guides = list(articles.filter(kind=Article.Kind.ARTICLE))
        labels = dict(Article.Category.choices)
        context["groups"] = [
            (code, labels[code], [a for a in guides if a.category == code])
            for code in Article.Category.values
            if any(a.category == code for a in guides)
        ]
        context["faq_count"] = articles.filter(kind=Article.Kind.FAQ).count()
    return render(request, "services/knowledge/index.html", context)


def article(request: HttpRequest, slug: str) -> HttpResponse:
    visible = readable_articles(user=request.user)
    found = visible.filter(slug=slug, language=_language()).first() or visible.filter(slug=slug).first()
    if found is None:
        raise Http404("No such article")
    related = (
        readable_articles(user=request.user, language=found.language)
        .published()
        .filter(category=found.category, kind=Article.Kind.ARTICLE)
        .exclude(pk=found.pk)[:RELATED_COUNT]
    )
    context = {"article": found, "body_html": render_markdown(found.body), "related": related}
    return render(request, "services/knowledge/article.html", context)


def faq(request: HttpRequest) -> HttpResponse:
    entries = readable_articles(user=request.user, language=_language()).filter(kind=Article.Kind.FAQ)
    category = _category(request)
    if category:
        entries = entries.filter(category=category)
    labels = dict(Article.Category.choices)
    found = list(entries)
    groups = [
        (code, labels[code], [(entry, render_markdown(entry.body)) for entry in found if entry.category == code])
        for code in Article.Category.values
        if any(entry.category == code for entry in found)
    ]
    return render(request, "services/knowledge/faq.html", {"groups": groups, "category": category})
