"""Every page a person reads, rendered in zh-hans, shows Chinese: no raw state codes (``partially_paid``,
``opted_in``), no English text that the catalogue translates (a string shown outside gettext), and the
catalogue itself has no empty or fuzzy entries.

The pages are found by following links, as a person would: the business hall from the demo customer's
home page, the admin console from its index as the demo superuser (every changelist and the first
object of each), the staff pages from the admin's links.

The page tests run in tests/services/test_demo_history.py, on the small demo seeded there once for
the module (``seeded``: 30 customers, as of 2026-11-24) — seeding it again here cost a CI minute.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from django.apps import apps
from django.contrib.auth import get_user_model
from django.test import Client

from customers.demo.users import DEMO_ADMIN_USERNAME, DEMO_CUSTOMER_PHONE

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MAX_PAGES = {"hall": 80, "admin": 220}
# Never followed: side effects, downloads, other languages, machine endpoints.
SKIP = re.compile(
    r"/(logout|sign-out|i18n|api|openadr3|healthz|static|media|bench)(/|$)|/delete/|/history/|\.(pdf|csv|xlsx)$"
    r"|/(pdf|export|download|statement\.pdf)/?$|/password/|/reveal/?$"
)
RAW_CODE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")


class _Page(HTMLParser):
    """Visible text nodes and the links of one page."""

    HIDDEN = {"script", "style", "code", "pre", "textarea", "template", "option", "noscript"}

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self._hidden += 1
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.links.append(href)

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        text = " ".join(data.split())
        if text and not self._hidden:
            self.texts.append(text)


def _catalogue() -> dict[str, str]:
    """msgid → msgstr (the first plural form for plural entries) of the project catalogue; entries with a
    context are left out (the same English may be meant otherwise elsewhere)."""
    entries: dict[str, str] = {}
    for block in CATALOGUE.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        current = None
        for line in block.splitlines():
            keyword = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) "(.*)"$', line)
            if keyword:
                current = keyword.group(1)
                fields[current] = keyword.group(2)
            elif line.startswith('"') and current:
                fields[current] += line[1:-1]
        if "msgid" in fields and fields["msgid"] and "msgctxt" not in fields:
            entries[fields["msgid"].replace('\\"', '"')] = fields.get("msgstr", fields.get("msgstr[0]", ""))
    return entries


def _choice_codes() -> set[str]:
    """Every stored value of a field with choices whose label differs from it (what must never show)."""
    codes = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            for value, label in getattr(field, "flatchoices", None) or []:
                if isinstance(value, str) and value != str(label) and RAW_CODE.fullmatch(value):
                    codes.add(value)
    return codes


def _crawl(client: Client, start: str, *, prefix: tuple[str, ...], limit: int) -> dict[str, _Page]:
    seen: dict[str, _Page] = {}
    queue = [start]
    per_pattern: dict[str, int] = {}
    while queue and len(seen) < limit:
        url = queue.pop(0)
        path = urlsplit(url).path
        # One or two objects per kind of page (/admin/billing/bill/123/change/ ~ /admin/billing/bill/*/change/).
        pattern = re.sub(r"/\d+/", "/*/", path) + ("?" if urlsplit(url).query else "")
        if url in seen or per_pattern.get(pattern, 0) >= 2:
            continue
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        per_pattern[pattern] = per_pattern.get(pattern, 0) + 1
        page = _Page()
        page.feed(response.content.decode())
        seen[url] = page
        for href in page.links:
            target = urljoin(url, href)
            parts = urlsplit(target)
            if parts.netloc not in ("", "testserver") or not parts.path.startswith(prefix) or SKIP.search(parts.path):
                continue
            link = parts.path + (f"?{parts.query}" if parts.query and "o=" not in parts.query else "")
            if link not in seen and link not in queue:
                queue.append(link)
    return seen


def _problems(pages: dict[str, _Page], *, translated: dict[str, str], codes: set[str]) -> list[str]:
    english = {msgid for msgid, msgstr in translated.items() if msgstr and msgstr != msgid and len(msgid) > 3}
    found = []
    for url, page in pages.items():
        for text in page.texts:
            if text[:1] in "[{" and text[-1:] in "]}":
                continue  # a JSON value shown as data (the catalogue's form schema), not prose
            raw = [token for token in RAW_CODE.findall(text) if token in codes]
            if raw or text in codes:
                found.append(f"{url}: raw code {raw or text!r} in {text[:80]!r}")
            elif text in english:
                found.append(f"{url}: untranslated {text[:80]!r}")
    return sorted(set(found))


def _summary(problems: list[str]) -> str:
    """Each distinct finding once, with the first page it was seen on."""
    first: dict[str, str] = {}
    for problem in problems:
        url, finding = problem.split(": ", 1)
        first.setdefault(finding, url)
    return f"{len(first)} distinct findings:\n" + "\n".join(f"{f}  (e.g. {u})" for f, u in first.items())


def check_the_catalogue_has_no_empty_or_fuzzy_entries():
    text = CATALOGUE.read_text(encoding="utf-8")
    entries = _catalogue()
    empty = [msgid for msgid, msgstr in entries.items() if not msgstr]
    assert empty == []
    assert "#, fuzzy" not in text.split("\n\n", 1)[1]  # (the header may carry it; no entry does)


def test_business_hall_pages_show_chinese_only(seeded):
    client = Client()
    client.force_login(get_user_model().objects.matching("phone", DEMO_CUSTOMER_PHONE).get())
    pages = _crawl(client, "/", prefix=("/",), limit=MAX_PAGES["hall"])
    pages = {url: page for url, page in pages.items() if not url.startswith(("/admin/", "/staff/"))}
    assert len(pages) >= 15, sorted(pages)  # the crawl reached the hall, not just the home page
    problems = _problems(pages, translated=_catalogue(), codes=_choice_codes())
    assert problems == [], _summary(problems)


def test_admin_console_and_staff_pages_show_chinese_only(seeded):
    client = Client()
    client.force_login(get_user_model().objects.get(username=DEMO_ADMIN_USERNAME))
    pages = _crawl(client, "/admin/", prefix=("/admin/", "/staff/"), limit=MAX_PAGES["admin"])
    assert len(pages) >= 60, len(pages)
    problems = _problems(pages, translated=_catalogue(), codes=_choice_codes())
    assert problems == [], _summary(problems)
