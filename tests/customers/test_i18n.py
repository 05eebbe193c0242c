"""Business hall: Chinese by default, English on request, and a complete, compiled catalogue."""

from __future__ import annotations

import ast
import gettext
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import bind, make_account, make_portal_user

pytestmark = pytest.mark.django_db

LOCALE_DIR = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_switching_to_english_changes_the_page_text(client):
    user = make_portal_user()
    account = make_account()
    bind(user=user, account=account)
    client.force_login(user, backend="security.backends.PhoneOrUsernameBackend")

    chinese = client.get(reverse("hall:dashboard")).content.decode()
    assert "我的营业厅" in chinese and "居民生活" in chinese
    assert "My business hall" not in chinese

    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("hall:dashboard")})
    assert response.status_code == 302 and response["Location"] == reverse("hall:dashboard")
    english = client.get(reverse("hall:dashboard")).content.decode()
    assert "My business hall" in english and "Residential" in english and 'lang="en"' in english
    assert "我的营业厅" not in english

    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "我的营业厅" in client.get(reverse("hall:dashboard")).content.decode()


def test_language_switch_is_on_every_page_for_visitors_too(client):
    for name in ("hall:dashboard", "hall:login", "hall:register"):
        page = client.get(reverse(name)).content.decode()
        assert reverse("set_language") in page and 'value="en"' in page, name


def test_english_error_messages_after_switch(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.post(reverse("hall:register"), {"phone": "1", "accept_privacy": "on"})
    assert response.context["form"].errors["phone"][0].startswith("Enter a mainland mobile number")


def _entries(po_text: str) -> list[str]:
    return [block for block in po_text.split("\n\n")[1:] if "msgid" in block and not block.startswith("#~")]


def _field(block: str, keyword: str) -> str:
    """The unquoted value of ``keyword`` (e.g. 'msgid') in one .po entry, joining continuation lines."""
    value, inside = "", False
    for line in block.splitlines():
        if line.startswith(keyword + " "):
            inside, line = True, line[len(keyword) + 1 :]
        elif not line.startswith('"'):
            inside = False
        if inside:
            value += ast.literal_eval(line)
    return value


def test_catalogue_is_complete_and_compiled():
    po_text = (LOCALE_DIR / "django.po").read_text(encoding="utf-8")
    entries = _entries(po_text)
    # A msgstr continued on following lines starts with "" too, so only a trailing empty one is missing.
    untranslated = [block for block in entries if block.rstrip().splitlines()[-1] in ('msgstr ""', 'msgstr[0] ""')]
    assert not untranslated, f"untranslated: {untranslated[:5]}"
    assert not [block for block in entries if "#, fuzzy" in block]

    # The committed .mo must match the .po: a fresh machine may have no gettext to compile it.
    mo_path = LOCALE_DIR / "django.mo"
    assert mo_path.exists(), "run manage.py compilemessages and commit django.mo"
    with mo_path.open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)

    def compiled_text(block: str) -> str:
        msgid = _field(block, "msgid")
        has_context = any(line.startswith("msgctxt ") for line in block.splitlines())
        return compiled.pgettext(_field(block, "msgctxt"), msgid) if has_context else compiled.gettext(msgid)

    stale = [
        _field(block, "msgid")
        for block in entries
        if "msgid_plural" not in block and compiled_text(block) != _field(block, "msgstr")
    ]
    assert any("msgctxt " in block for block in entries), "the catalogue's context entries are checked too"
    assert not stale, f"django.mo is out of date for: {stale[:5]}"


def test_words_shared_by_two_apps_are_translated_for_each():
    """'Active' is 正常用电 for an account but 在用 for a forecast model version; 'model' is a meter's 型号
    but a forecast's 预测模型."""
    from django.utils import translation

    from analytics.models import Forecast, ForecastModel
    from billing.models import Meter
    from customers.models import Account

    with translation.override("zh-hans"):
        assert str(Account.Status.ACTIVE.label) == "正常用电"
        assert str(ForecastModel.Status.ACTIVE.label) == "在用"
        assert str(Meter._meta.get_field("model_name").verbose_name) == "型号"
        assert str(Forecast._meta.get_field("model").verbose_name) == "预测模型"
