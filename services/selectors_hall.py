"""Reads behind the knowledge, inbox and notices pages and their API: articles a visitor may read and
search, a user's own notifications, and the outage notices a user may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from customers.access import accounts_visible_to, is_portal_customer
from customers.models import Account
from services.actions.outages import notices_for_user
from services.models import Article, Notification, OutageNotice

MAX_QUERY_TERMS = 5
MAX_QUERY_LENGTH = 100


# --- knowledge ---------------------------------------------------------------------------------


def article_language(*, language: str) -> str:
    """The language to list articles in: the visitor's, if anything is published in it, else Chinese
    (the articles are written in Chinese first)."""
    if language != Article.Language.ZH_HANS and Article.objects.published().filter(language=language).exists():
        return language
    return Article.Language.ZH_HANS


def readable_articles(*, user, language: str | None = None) -> QuerySet[Article]:
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


# --- inbox -------------------------------------------------------------------------------------


def inbox_for(*, user) -> QuerySet[Notification]:
    """The user's own notifications, unread first, newest first within each."""
    return Notification.objects.filter(user=user).order_by(
        Case(When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()),
        "-created_at",
        "-id",
    )


def unread_count(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


# --- outage notices ----------------------------------------------------------------------------

# What a customer may see of the notices touching their accounts: never drafts or cancelled ones.
CUSTOMER_VISIBLE_STATUSES = (OutageNotice.Status.PUBLISHED, OutageNotice.Status.RESTORED)


def outage_notices_visible_to(*, user) -> QuerySet[OutageNotice]:
    """Customers: published or restored notices affecting an account bound to them. Staff with
    ``view_outagenotice``: every notice. Anyone else: none."""
    if is_portal_customer(user):
        accounts = accounts_visible_to(user=user)
        return (
            OutageNotice.objects.filter(status__in=CUSTOMER_VISIBLE_STATUSES)
            .filter(Q(areas__accounts__in=accounts) | Q(feeders__areas__accounts__in=accounts))
            .distinct()
        )
    if user.is_authenticated and user.is_active and user.has_perm("services.view_outagenotice"):
        return OutageNotice.objects.all()
    return OutageNotice.objects.none()


@dataclass(frozen=True)
class NoticeForAccounts:
    notice: OutageNotice
    accounts: list[Account]  # the user's accounts this notice affects
    in_progress: bool  # started already (and not yet restored)


def current_notices_with_accounts(
    *, user, as_of: dt.datetime, account_numbers: list[str] | None = None
) -> list[NoticeForAccounts]:
    """Current and upcoming notices for the user's accounts (``notices_for_user``), each with which of
    those accounts it affects; ``account_numbers`` narrows to some of them. Four queries in all."""
    accounts = list(accounts_visible_to(user=user).select_related("area").order_by("number"))
    if account_numbers is not None:
        accounts = [account for account in accounts if account.number in account_numbers]
    if not accounts:
        return []
    notices = notices_for_user(user=user, as_of=as_of).prefetch_related("areas", "feeders")
    result = []
    for notice in notices:
        area_ids = {area.pk for area in notice.areas.all()}
        feeder_ids = {feeder.pk for feeder in notice.feeders.all()}
        affected = [a for a in accounts if a.area_id in area_ids or a.area.feeder_id in feeder_ids]
        if affected:
            result.append(NoticeForAccounts(notice=notice, accounts=affected, in_progress=notice.starts_at <= as_of))
    return result
