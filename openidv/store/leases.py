"""The one way a state change that can race is written: a conditional UPDATE of one row.

Using a token, claiming a job or a webhook attempt, writing a job's result, reviewing,
expiring, erasing: each is "change this row if it is still in the state I saw". Of two
concurrent callers exactly one sees its UPDATE change a row; the other changes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, update
from sqlalchemy.orm import Session


def update_if(session: Session, model: type, *conditions: ColumnElement[bool], **values: Any) -> bool:
    """``UPDATE model SET values WHERE conditions``; True when exactly one row changed.

    The session's loaded objects are not refreshed (``session.refresh`` them when needed).
    """
    result = session.execute(
        update(model).where(*conditions).values(**values).execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
