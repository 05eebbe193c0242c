"""Who is acting, for writes that happen far from the request (model signals): the audit middleware
sets it per request, services set it around their own writes. Empty in shells and management
commands, whose operators are trusted with the database anyway."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    user: object | None
    source_ip: str | None = None
    # True only while an approved privilege request is being applied.
    applying_approved_grant: bool = False


_current: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("security_actor", default=None)


def current_actor() -> Actor | None:
    return _current.get()


def as_user(user: object, *, applying_approved_grant: bool = False) -> Actor:
    """``user`` acting, from the address of the request being served (if any)."""
    outer = current_actor()
    return Actor(
        user=user, source_ip=outer.source_ip if outer else None, applying_approved_grant=applying_approved_grant
    )


@contextlib.contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)
