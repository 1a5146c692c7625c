"""govstats: compile, validate and audit government-information-disclosure statistics.

The public API is the functions of :mod:`govstats.actions`; importing this package
imports nothing heavy (pandas, pandera and openpyxl load on first use).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["__version__", "make_template", "validate_workbooks"]

if TYPE_CHECKING:
    from govstats.actions import make_template, validate_workbooks


def __getattr__(name: str) -> Any:
    if name in ("make_template", "validate_workbooks"):
        from govstats import actions

        return getattr(actions, name)
    raise AttributeError(name)
