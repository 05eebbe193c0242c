from __future__ import annotations


class OpenADRError(Exception):
    """A refused OpenADR write: ``status`` is the HTTP status the spec gives it (400, 403, 404, 409)
    and ``detail`` says why (the problem's detail)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def bad_request(detail: str) -> OpenADRError:
    return OpenADRError(400, detail)


def conflict(detail: str) -> OpenADRError:
    return OpenADRError(409, detail)


def not_found(detail: str = "Not found.") -> OpenADRError:
    return OpenADRError(404, detail)
