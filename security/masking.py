"""Masked display of personal data. Every page, admin list and API response shows these by default."""

from __future__ import annotations


def mask_phone(value: str | None) -> str:
    """'13812345678' → '138****5678'."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return f"{value[:3]}{'*' * (len(value) - 7)}{value[-4:]}"


def mask_identifier(value: str | None) -> str:
    """ID number or credit code: first 3 and last 4 characters kept."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return f"{value[:3]}{'*' * (len(value) - 7)}{value[-4:]}"


def mask_email(value: str | None) -> str:
    """'zhang.wei@example.com' → 'z***@example.com'."""
    if not value:
        return ""
    local, sep, domain = value.partition("@")
    if not sep:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_address(value: str | None) -> str:
    """Keep the administrative area (first 6 characters), hide the street and house number."""
    if not value:
        return ""
    return f"{value[:6]}****" if len(value) > 6 else "****"
