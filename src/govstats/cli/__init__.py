"""The command line: parses options, calls one library function, presents its result.

Nothing here computes: every command is one call of :mod:`govstats.actions`, and
:mod:`govstats.cli.present` turns its result into text.
"""

from govstats.cli.commands import app, main

__all__ = ["app", "main"]
