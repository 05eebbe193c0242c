"""Exceptions the kernel's interfaces know how to answer, raised by any app."""

from __future__ import annotations


class UnanswerableQuery(Exception):
    """A query that cannot be answered by design (e.g. searching an encrypted field): the API answers
    400 with ``public_message``, which never echoes what was asked."""

    public_message = "This query cannot be answered."
