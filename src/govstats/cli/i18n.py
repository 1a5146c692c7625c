"""The command line in the user's language: help, usage errors, JSON errors (issue 16).

``--help`` and usage errors (``--year abc``) are in the language ``--lang`` names,
else the user's locale's: Chinese where ``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES`` or
``LANG`` (the first one set) starts with ``zh``, or, on Windows without them, where
the system's locale is Chinese; English elsewhere. Messages about the data keep
their own default (Chinese, ``--lang en`` for English).

:class:`LocalGroup` and :class:`LocalCommand` are the classes of the ``govstats``
group and its commands: the group runs a command line with the user's language set,
and turns a usage error into a message in that language (or, with
``--format json``, the JSON error object on stdout as well), exit code 2.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from typer.core import TyperCommand, TyperGroup

from govstats.core.problems import Words

__all__ = [
    "LocalCommand",
    "LocalGroup",
    "current_lang",
    "json_requested",
    "user_lang",
]

_LANG: contextvars.ContextVar[str] = contextvars.ContextVar("govstats_lang", default="")


def _option_value(args: Sequence[str], name: str) -> str | None:
    """The last value given to option ``name`` (``--lang en``, ``--lang=en``)."""
    value = None
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == name and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith(name + "="):
            value = arg[len(name) + 1 :]
    return value


def _locale_is_chinese(environ: os._Environ[str] | dict[str, str]) -> bool | None:
    """Whether the user's locale is Chinese; ``None`` when no variable says."""
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(var, "")
        if value and value not in ("C", "POSIX") and not value.startswith("C."):
            return value.lower().startswith("zh")
    return None


def user_lang(args: Sequence[str], environ: Any = None) -> str:
    """The language of help and usage errors: ``--lang``, else the locale's."""
    given = _option_value(args, "--lang")
    if given in ("zh", "en"):
        return given
    chinese = _locale_is_chinese(os.environ if environ is None else environ)
    if chinese is None and sys.platform == "win32":  # pragma: no cover - Windows
        import locale

        name = (locale.getlocale()[0] or "").lower()
        chinese = name.startswith(("zh", "chinese"))
    return "zh" if chinese else "en"


def json_requested(args: Sequence[str]) -> bool:
    return _option_value(args, "--format") == "json"


def current_lang() -> str:
    """The language :class:`LocalGroup` set for the command line being run."""
    return _LANG.get() or "en"


# Words table: the help of every command and option in Chinese. The English help
# is the commands' own (their docstrings and ``help=``), which ``docs/cli.md``
# shows. Keyed by command name ("" for the group itself), then parameter name
# ("" for the command's help text).
def _help_zh() -> dict[str, dict[str, str]]:
    """The Chinese help of each command by option name ("*": of every command)."""
    help_zh: dict[str, Any] = Words("help")["zh"]
    commands: dict[str, dict[str, str]] = help_zh["commands"]
    return commands


# Words table: what govstats says around the help and about a usage error. The
# English of the help's headings and of the usage errors' details is the one click
# itself prints; the Chinese replaces it.
WORDS = Words("usage")


# Help headings click prints, and their Chinese.
def _help_words_zh() -> list[tuple[str, str]]:
    """What click prints around the help, and its Chinese."""
    help_zh: dict[str, Any] = Words("help")["zh"]
    return [(en, zh) for en, zh in help_zh["click"]]


# Usage errors click words without a type of their own: its English, the key of
# the Chinese in WORDS.
_USAGE_MESSAGES = (
    (r"No such command '(.*)'\.", "no_command"),
    (r"Missing command\.", "missing_command"),
    (r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)", "extra"),
)


def _localize_words(text: str) -> str:
    for en, zh in _help_words_zh():
        text = text.replace(en, zh)
    return text


@contextlib.contextmanager
def _chinese_help(command: Any, name: str) -> Iterator[None]:
    """``command`` with its help and its options' help in Chinese, for a while."""
    words = _help_zh().get(name, {})
    saved = [(command, command.help, command.short_help)]
    if "" in words:
        # "\b" keeps click from re-wrapping a paragraph: it breaks lines only at
        # spaces, and Chinese has none, so it cut "tables.xlsx" in two instead.
        command.help = "\n\n".join(f"\b\n{para}" for para in words[""].split("\n\n"))
        command.short_help = words[""].split("\n", 1)[0]
    for param in command.params:
        text = words.get(param.name) or _help_zh()["*"].get(param.name)
        if text and hasattr(param, "help"):
            saved.append((param, param.help, None))
            param.help = text
    try:
        yield
    finally:
        for obj, help_text, short in saved:
            obj.help = help_text
            if obj is command:
                obj.short_help = short


class LocalCommand(TyperCommand):
    """A command whose ``--help`` is in the user's language."""

    def get_help(self, ctx: Any) -> str:
        if current_lang() != "zh":
            return str(super().get_help(ctx))
        with _chinese_help(self, self.name or ""):
            return _localize_words(str(super().get_help(ctx)))


class LocalGroup(TyperGroup):
    """The ``govstats`` group: the user's language for help and usage errors, and
    the JSON error object with ``--format json``."""

    def get_help(self, ctx: Any) -> str:
        if current_lang() != "zh":
            return str(super().get_help(ctx))
        with contextlib.ExitStack() as stack:
            stack.enter_context(_chinese_help(self, ""))
            for name, command in self.commands.items():
                stack.enter_context(_chinese_help(command, name))
            return _localize_words(str(super().get_help(ctx)))

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        from typer._click.exceptions import (
            ClickException,
            NoArgsIsHelpError,
            UsageError,
        )
        from typer.exceptions import Abort

        argv = list(sys.argv[1:] if args is None else args)
        lang = user_lang(argv)
        token = _LANG.set(lang)
        try:
            try:
                # ``args`` as given: click expands wildcards itself on Windows
                # when it reads sys.argv.
                rv = super().main(
                    args, prog_name, complete_var, standalone_mode=False, **extra
                )
                code = rv if isinstance(rv, int) else 0
            except NoArgsIsHelpError as exc:
                exc.show()
                code = exc.exit_code
            except UsageError as exc:
                show_usage_error(exc, lang, json_requested(argv))
                code = exc.exit_code
            except ClickException as exc:
                exc.show()
                code = exc.exit_code
            except Abort:
                print(WORDS[lang]["aborted"], file=sys.stderr)
                code = 1
        finally:
            _LANG.reset(token)
        if standalone_mode:
            sys.exit(code)
        return code


# Usage errors


def _hint(exc: Any) -> str:
    param = getattr(exc, "param", None)
    if getattr(exc, "param_hint", None):
        hint = exc.param_hint
        return hint if isinstance(hint, str) else " / ".join(hint)
    if param is not None:
        return str(" / ".join(param.opts) if param.opts else param.name)
    return ""


def usage_detail(exc: Any, lang: str) -> str:
    """What is wrong with the command line, in ``lang``."""
    from typer._click.exceptions import (
        BadOptionUsage,
        BadParameter,
        MissingParameter,
        NoSuchOption,
    )

    if lang != "zh":
        return str(exc.format_message())
    w = WORDS["zh"]
    message = str(exc.message)
    if isinstance(exc, MissingParameter):
        argument = getattr(exc.param, "param_type_name", "") == "argument"
        kind = w["argument"] if argument else w["option"]
        return w["missing"].format(kind=kind, hint=_hint(exc))
    if isinstance(exc, BadParameter):
        return w["invalid"].format(hint=_hint(exc), reason=_reason_zh(exc, message))
    if isinstance(exc, NoSuchOption):
        names = ", ".join(sorted(exc.possibilities or ()))
        maybe = w["maybe"].format(names=names) if names else ""
        return w["no_option"].format(name=exc.option_name, maybe=maybe)
    if isinstance(exc, BadOptionUsage):
        key = "no_value" if "does not take a value" in message else "needs_value"
        return w[key].format(name=exc.option_name)
    for pattern, key in _USAGE_MESSAGES:
        m = re.fullmatch(pattern, message)
        if m:
            return w[key].format(*m.groups())
    return message


def _reason_zh(exc: Any, message: str) -> str:
    """Why a value was refused, from the parameter's type."""
    w = WORDS["zh"]
    choices = getattr(getattr(exc.param, "type", None), "choices", None)
    listed = re.search(r"is not one of (.+?)\.?$", message)
    if listed:  # typer's choices of an enum: "'fr' is not one of 'zh', 'en'."
        choices = re.findall(r"'([^']*)'", listed.group(1))
    if choices:
        return w["one_of"].format(choices="、".join(map(str, choices)))
    m = re.search(r"(greater|less) than or equal to (-?\d+)", message)
    if m:
        key = "at_least" if m.group(1) == "greater" else "at_most"
        return w[key].format(bound=m.group(2))
    if "integer" in message:
        return w["integer"]
    return w["malformed"]


def show_usage_error(exc: Any, lang: str, as_json: bool) -> None:
    """The usage error on stderr (usage line, hint, error) in ``lang``; with
    ``as_json`` also the JSON error object on stdout."""
    import typer

    from govstats.core.problems import Problem

    detail = usage_detail(exc, lang)
    ctx = exc.ctx
    lines: list[str] = []
    if ctx is not None:
        usage = str(ctx.get_usage())
        helper = f"{ctx.command_path} {ctx.help_option_names[-1]}"
        if lang == "zh":
            usage = _localize_words(usage)
        lines += [usage, WORDS[lang]["hint"].format(helper=helper), ""]
    problem = Problem.make("usage-error", context={"detail": detail})
    lines.append(WORDS[lang]["error"] + detail)
    typer.echo("\n".join(lines), err=True)
    if as_json:
        from govstats.cli.streams import json_text

        typer.echo(json_text(error_object([problem], lang, 2)))


def error_object(problems: Sequence[Any], lang: str, exit_code: int) -> dict[str, Any]:
    """The JSON printed on stdout when a command cannot run (exit code 2 or 3):
    the first problem as ``error``, every one as ``problems``."""
    dicts = [p.to_dict(lang) for p in problems]
    return {"exit_code": exit_code, "error": dicts[0], "problems": dicts}
