"""Knowledge articles and FAQ: safe rendering, Chinese substring search, drafts hidden from customers
and the public API, publishing through the service and the admin, and the seeded starting articles."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from rest_framework.test import APIClient

from security import roles
from services.actions.knowledge import publish_articles, render_markdown, unpublish_articles
from services.knowledge_base import ARTICLES, FAQ
from services.models import Article
from services.selectors.knowledge import search_articles
from tests.factories import SHANGHAI, bind, make_account, make_portal_user, make_staff

pytestmark = pytest.mark.django_db
AS_OF = dt.datetime(2026, 11, 24, 9, tzinfo=SHANGHAI)
SEEDED_TITLES = {
    "安全用电常识",
    "节能小贴士",
    "如何办理居民新装",
    "如何办理增容",
    "电费如何计算（阶梯电价说明）",
    "峰谷电价说明",
    "停电了怎么办",
    "如何开具发票",
}


def draft(**overrides) -> Article:
    values = {
        "slug": "draft-guide",
        "category": Article.Category.SAFETY,
        "title": "雷雨天气用电注意事项（草稿）",
        "body": "雷雨天拔掉电视天线和电源插头。",
        "keywords": "雷电 防雷",
    }
    return Article.objects.create(**{**values, **overrides})


def customer_client(client):
    user = make_portal_user()
    bind(user=user, account=make_account())
    client.force_login(user)
    return client


# --- rendering ---------------------------------------------------------------------------------


def test_markdown_subset_renders_headings_lists_tables_and_links():
    html = render_markdown(
        "## 标题\n第一段**重点**。\n\n- 甲\n- 乙\n\n1. 一\n2、二\n\n| 档 | 价 |\n|---|---|\n| 一 | 0.538 |\n\n"
        "> 注意\n[峰谷](/help/time-of-use-tariff/) [官网](https://www.example.cn/a)"
    )
    assert "<h2>标题</h2>" in html
    assert "<p>第一段<strong>重点</strong>。</p>" in html
    assert "<ul><li>甲</li><li>乙</li></ul>" in html
    assert "<ol><li>一</li><li>二</li></ol>" in html
    assert '<th scope="col">档</th>' in html and "<td>0.538</td>" in html and "---" not in html
    assert '<p class="kb-note">注意</p>' in html
    assert '<a href="/help/time-of-use-tariff/">峰谷</a>' in html
    assert '<a href="https://www.example.cn/a">官网</a>' in html


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[点我](javascript:alert(1))",
        '[点我](/ok" onmouseover="alert(1))',
        "[点我](http://plain-http.example/)",
        "**<b>粗</b>**",
    ],
)
def test_markdown_never_lets_html_or_script_links_through(hostile):
    html = str(render_markdown(hostile))
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert 'onmouseover="' not in html and 'onerror="' not in html
    assert html.startswith("<p>")  # the whole input stays one paragraph of text
    assert re.findall(r'href="([^"]*)"', html) == []  # no link: not a site path and not https


# --- search ------------------------------------------------------------------------------------


def test_search_finds_chinese_substrings_in_title_body_and_keywords():
    published = Article.objects.published()

    def slugs(query: str) -> list[str]:
        return [a.slug for a in search_articles(articles=published, query=query)]

    assert slugs("阶梯")[0] == "tiered-tariff"  # a substring of the title 阶梯电价说明: title hits first
    assert "tiered-tariff" in slugs("2760")  # only in the body's table
    assert "power-outage" in slugs("跳闸") and "faq-trip" in slugs("跳闸")
    assert slugs("增容 资料") == ["capacity-increase"]  # every term must match
    assert slugs("不存在的词") == []
    assert slugs("   ") == []


def test_hall_search_page_lists_matches_and_hides_drafts(client):
    draft(title="阶梯电价草稿说明", body="阶梯")

    page = client.get(reverse("knowledge:index"), {"q": "阶梯"}).content.decode()

    found = re.findall(r'data-slug="([^"]+)"', page)
    assert found and found[0] == "tiered-tariff"
    assert "draft-guide" not in found and "阶梯电价草稿说明" not in page


# --- drafts, publishing ------------------------------------------------------------------------


def test_unpublished_article_is_hidden_from_visitors_customers_and_the_api(client):
    article = draft()
    url = reverse("knowledge:article", kwargs={"slug": article.slug})

    assert client.get(url).status_code == 404
    assert article.slug not in client.get(reverse("knowledge:index")).content.decode()
    customer = customer_client(client)
    assert customer.get(url).status_code == 404
    api = APIClient()
    listed = api.get("/api/v1/articles", {"page_size": 100}).json()
    assert article.slug not in [row["slug"] for row in listed["results"]]
    assert listed["count"] == len(ARTICLES) + len(FAQ)
    assert api.get(f"/api/v1/articles/{article.pk}").status_code == 404
    assert api.get("/api/v1/articles", {"q": "雷电"}).json()["count"] == 0


def test_staff_who_manage_articles_preview_a_draft_on_its_page(client):
    article = draft()
    client.force_login(make_staff(role=roles.CUSTOMER_SERVICE_AGENT))

    page = client.get(reverse("knowledge:article", kwargs={"slug": article.slug})).content.decode()

    assert article.title in page and "雷雨天拔掉电视天线" in page

    client.force_login(make_staff(role=roles.BILLING_CLERK))  # no view_article: like everyone else
    assert client.get(reverse("knowledge:article", kwargs={"slug": article.slug})).status_code == 404


def test_publish_service_sets_the_date_once_and_needs_the_permission():
    article = draft()
    agent = make_staff(role=roles.CUSTOMER_SERVICE_AGENT)

    with pytest.raises(PermissionDenied):
        publish_articles(actor=make_staff(role=roles.FIELD_ENGINEER), article_ids=[article.pk], as_of=AS_OF)
    assert publish_articles(actor=agent, article_ids=[article.pk], as_of=AS_OF) == 1
    assert unpublish_articles(actor=agent, article_ids=[article.pk]) == 1
    assert publish_articles(actor=agent, article_ids=[article.pk], as_of=AS_OF + dt.timedelta(days=1)) == 1

    article.refresh_from_db()
    assert article.is_published and article.published_at == AS_OF  # the first publication date is kept


def test_admin_publish_action_and_rendered_preview(client):
    article = draft()
    client.force_login(make_staff(role=roles.CUSTOMER_SERVICE_AGENT))

    change = client.get(reverse("admin:services_article_change", args=[article.pk])).content.decode()
    response = client.post(
        reverse("admin:services_article_changelist"),
        {"action": "publish_selected", "_selected_action": [article.pk]},
    )

    assert '<div class="kb-preview"' in change and "<p>雷雨天拔掉电视天线和电源插头。</p>" in change
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.is_published and article.published_at is not None
    assert client.get(reverse("knowledge:article", kwargs={"slug": article.slug})).status_code == 200


def test_admin_search_finds_articles_by_chinese_keyword(client):
    client.force_login(make_staff(role=roles.SYSTEM_ADMINISTRATOR))

    page = client.get(reverse("admin:services_article_changelist"), {"q": "峰谷"}).content.decode()

    assert "峰谷电价说明" in page and "如何开具发票" not in page


def test_other_staff_cannot_open_the_article_admin(client):
    client.force_login(make_staff(role=roles.BILLING_CLERK))
    assert client.get(reverse("admin:services_article_changelist")).status_code == 403


# --- the seeded knowledge base and the pages ---------------------------------------------------


def test_seeded_articles_are_published_and_listed_by_category(client):
    assert set(Article.objects.published().filter(kind="article").values_list("title", flat=True)) == SEEDED_TITLES

    page = client.get(reverse("knowledge:index")).content.decode()

    sections = re.findall(r'<section aria-labelledby="cat-(\w+)" data-category="\w+">', page)
    assert sections == ["safety", "energy_saving", "how_to_apply", "billing", "outage"]
    for title in SEEDED_TITLES:
        assert title in page


def test_category_filter_shows_only_that_category(client):
    page = client.get(reverse("knowledge:index"), {"category": "how_to_apply"}).content.decode()

    assert set(re.findall(r'<li class="card kb-item" data-slug="([^"]+)"', page)) == {
        "residential-new-connection",
        "capacity-increase",
    }


def test_article_page_renders_the_body_with_its_table(client):
    page = client.get(reverse("knowledge:article", kwargs={"slug": "tiered-tariff"})).content.decode()

    assert "<h1>电费如何计算（阶梯电价说明）</h1>" in page
    assert "<td>2761～4800 千瓦时</td>" in page  # the tier table
    assert "140 × 0.588 = 82.32 元" in page
    assert 'href="/help/time-of-use-tariff/"' in page


def test_faq_page_is_an_accordion_of_published_questions(client):
    draft(kind=Article.Kind.FAQ, slug="faq-draft", title="草稿问题？")

    page = client.get(reverse("knowledge:faq")).content.decode()

    questions = re.findall(r'<details class="card faq-item" id="([^"]+)"', page)
    assert sorted(questions) == sorted(entry["slug"] for entry in FAQ)
    assert "<summary>家里总跳闸是什么原因？</summary>" in page
    assert "草稿问题" not in page


def test_english_visitors_fall_back_to_the_chinese_articles(client):
    client.cookies["django_language"] = "en"
    page = client.get(reverse("knowledge:index")).content.decode()
    assert 'lang="en"' in page and "安全用电常识" in page


def test_bad_category_and_long_queries_are_harmless(client):
    assert client.get(reverse("knowledge:index"), {"category": "<x>"}).status_code == 200
    response = client.get(reverse("knowledge:index"), {"q": "电" * 500})
    assert response.status_code == 200


def test_articles_api_is_public_and_searchable():
    api = APIClient()

    found = api.get("/api/v1/articles", {"q": "峰谷"}).json()
    faq = api.get("/api/v1/articles", {"kind": "faq", "category": "safety"}).json()
    bad = api.get("/api/v1/articles", {"category": "nope"})

    row = found["results"][0]
    assert row["slug"] == "time-of-use-tariff"
    assert row["url"] == "/help/time-of-use-tariff/" and "<table" in row["body_html"]
    assert [row["slug"] for row in faq["results"]] == ["faq-trip"]
    assert bad.status_code == 400 and "category" in bad.json()["error"]["fields"]
    assert api.post("/api/v1/articles", {"title": "x"}, format="json").status_code == 405  # read-only
