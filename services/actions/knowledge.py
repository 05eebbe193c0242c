"""Knowledge articles: publishing, and turning an article's Markdown into safe HTML.

The renderer understands only the few constructs the articles need (headings, paragraphs, lists,
a table, a note, bold, links). It escapes the whole text before adding any tag of its own, so
whatever staff type — ``<script>``, ``<img onerror=…>``, a ``javascript:`` link — is shown as text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from services.models import Article

_BOLD = re.compile(r"\*\*(.+?)\*\*")
# Only site paths and https links; the URL may not contain spaces, quotes were escaped already.
_LINK = re.compile(r"\[([^\]\n]+)\]\((/[^\s)]*|https://[^\s)]+)\)")
_ORDERED = re.compile(r"^\d+(?:\.\s+|、\s*)")  # "1. " or the Chinese "1、"
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}")
_HEADING = re.compile(r"^#{1,6}\s")


def _inline(text: str) -> str:
    html: str = escape(text)
    html = _BOLD.sub(r"<strong>\1</strong>", html)
    return _LINK.sub(r'<a href="\2">\1</a>', html)


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _table(rows: list[str]) -> str:
    header, *body = rows
    body = [row for row in body if not _TABLE_RULE.match(row.strip())]
    head = "".join(f'<th scope="col">{_inline(cell)}</th>' for cell in _cells(header))
    lines = "".join("<tr>" + "".join(f"<td>{_inline(cell)}</td>" for cell in _cells(row)) + "</tr>" for row in body)
    return f'<div class="table-scroll"><table class="hall-table"><thead><tr>{head}</tr></thead><tbody>{lines}</tbody></table></div>'


def _line_kind(line: str) -> str:
    if not line:
        return "blank"
    if _HEADING.match(line):
        return "heading"
    if line.startswith("|"):
        return "table"
    if line.startswith(("- ", "* ")):
        return "ul"
    if _ORDERED.match(line):
        return "ol"
    if line.startswith(">"):
        return "note"
    return "text"


def render_markdown(text: str) -> SafeString:
    """Render the Markdown subset described on ``Article.body`` to HTML that is safe to show."""
    blocks: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    list_tag = ""
    table: list[str] = []

    def flush() -> None:
        nonlocal list_tag
        if paragraph:
            blocks.append("<p>" + " ".join(_inline(line) for line in paragraph) + "</p>")
            paragraph.clear()
        if items:
            blocks.append(f"<{list_tag}>" + "".join(f"<li>{_inline(item)}</li>" for item in items) + f"</{list_tag}>")
            items.clear()
            list_tag = ""
        if table:
            blocks.append(_table(table))
            table.clear()

    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        kind = _line_kind(line)
        # A block ends when a line of another kind starts.
        if (paragraph and kind != "text") or (items and kind != list_tag) or (table and kind != "table"):
            flush()
        if kind == "heading":
            level = min(max(len(line) - len(line.lstrip("#")), 2), 3)  # the page title is the only <h1>
            blocks.append(f"<h{level}>{_inline(line.lstrip('#').strip())}</h{level}>")
        elif kind == "table":
            table.append(line)
        elif kind in ("ul", "ol"):
            list_tag = kind
            items.append(line[2:].strip() if kind == "ul" else _ORDERED.sub("", line))
        elif kind == "note":
            blocks.append(f'<p class="kb-note">{_inline(line.lstrip(">").strip())}</p>')
        elif kind == "text":
            paragraph.append(line)
    flush()
    return mark_safe("\n".join(blocks))  # noqa: S308 - every piece of text went through escape() above


def publish_articles(*, actor, article_ids: Iterable[int], as_of: dt.datetime) -> int:
    """Publish the given articles; the first publication date is kept when one is re-published."""
    if not actor.has_perm("services.change_article"):
        raise PermissionDenied("You may not publish knowledge articles.")
    ids = list(article_ids)
    Article.objects.filter(pk__in=ids, published_at__isnull=True).update(published_at=as_of)
    return Article.objects.filter(pk__in=ids, is_published=False).update(is_published=True)


def unpublish_articles(*, actor, article_ids: Iterable[int]) -> int:
    """Hide the given articles from the business hall and the public API."""
    if not actor.has_perm("services.change_article"):
        raise PermissionDenied("You may not unpublish knowledge articles.")
    return Article.objects.filter(pk__in=list(article_ids), is_published=True).update(is_published=False)
