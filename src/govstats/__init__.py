"""govstats: compile, validate and audit government-information-disclosure statistics.

The public API is the functions of :mod:`govstats.actions`, one per CLI verb;
importing this package imports nothing heavy (pandas, pandera and openpyxl load on
first use).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_ACTIONS = (
    "audit_outputs",
    "audit_text",
    "compile_year",
    "make_template",
    "trend",
    "validate_workbooks",
)

__all__ = [
    "__version__",
    "audit_outputs",
    "audit_text",
    "compile_year",
    "make_template",
    "trend",
    "validate_workbooks",
]

if TYPE_CHECKING:
    from govstats.actions import (
        audit_outputs,
        audit_text,
        compile_year,
        make_template,
        trend,
        validate_workbooks,
    )


def __getattr__(name: str) -> Any:
    if name in _ACTIONS:
        from govstats import actions

        return getattr(actions, name)
    raise AttributeError(name)
