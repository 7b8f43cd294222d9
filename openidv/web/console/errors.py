"""Console errors: shown as console pages (never the API's JSON, never a trace)."""

from __future__ import annotations

from typing import Any, Optional


class ConsoleError(Exception):
    """An error shown as a console page."""

    def __init__(self, status_code: int, title: str, message: str, user: Optional[Any] = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.title = title
        self.message = message
        self.user = user


class LoginRequired(Exception):
    """No valid session: the browser is sent to the login page."""


def not_found(user: Optional[Any] = None) -> ConsoleError:
    return ConsoleError(404, "Not found", "There is no such verification, or it is not yours to see.", user)
