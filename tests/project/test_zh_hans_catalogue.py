"""The zh-hans catalogue has no empty or fuzzy entry (the page checks live in tests/project/zh_hans_pages.py)."""

from tests.project.zh_hans_pages import check_the_catalogue_has_no_empty_or_fuzzy_entries


def test_the_catalogue_has_no_empty_or_fuzzy_entries():
    check_the_catalogue_has_no_empty_or_fuzzy_entries()
