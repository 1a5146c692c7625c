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
HELP_ZH: dict[str, dict[str, str]] = {
    "": {
        "": "政府信息公开工作年度报告统计：模板、校验、汇总、审核。",
        "lang": "帮助和提示的语言：zh（中文）或 en（英文）；默认按系统区域设置。",
        "version": "显示版本号并退出。",
    },
    "template": {
        "": "为一个填报单位生成本年度的空白工作簿。\n\n示例：\n\n"
        "    govstats template --year 2017 --unit-code 430200-001 --unit-name 株洲市财政局",
        "year": "报告年度（决定报表格式）。",
        "unit_code": "单位代码。",
        "unit_name": "单位名称。",
        "output": "要写入的文件（默认：<单位代码>-<年度>.xlsx）。",
    },
    "validate": {
        "": "校验工作簿，一次列出全部问题，定位到单元格。\n\n"
        "没有任何文件有错误时退出码为 0（可以有警告），否则为 1；"
        "命令行或文件无法使用时为 2。\n\n示例：\n\n"
        "    govstats validate inputs/2017/ --roster inputs/2017/units.csv --year 2017",
        "files": "工作簿，或存放工作簿的文件夹。",
        "roster": "单位名册 units.csv：单位代码必须在其中。",
        "year": "工作簿应填写的报告年度。",
        "annotate": "把每个工作簿的副本写入此文件夹，标出有问题的单元格，并附“问题清单”工作表。",
        "max_problems": "每个文件最多列出 N 个问题。",
        "only": "只显示此代码或类别的问题。",
    },
    "compile": {
        "": "校验、汇总，并写出报告的数字部分。\n\n"
        "读取 inputs/<年度>/units.csv 及其旁的全部工作簿；把 report.md、report.html、"
        "report.docx、tables.xlsx、figures.json、validation.json、validation.md 和 "
        "summary.xlsx 一次写入 outputs/<年度>/。\n\n"
        "退出码：0 已写出（--partial 未纳入部分单位时也为 0，并提示其数目）；"
        "1 有工作簿出错，未写出任何文件；2 命令行或文件无法使用。\n\n示例：\n\n"
        "    govstats compile 2017",
        "year": "要汇总的报告年度。",
        "inputs": "存放 <年度>/units.csv 和工作簿的文件夹。",
        "outputs": "写入 <年度>/ 的文件夹。",
        "partial": "即使有单位出错，也汇总通过校验的单位（输出中注明未纳入的单位）。",
        "rounding": "half-up（四舍五入）或 half-even（GB/T 8170）。",
        "templates": "替换内置报告模板的模板文件夹。",
    },
    "audit": {
        "": "重新推算已公开的数字：由输入重算已汇总的年度，或核对报告的文字。\n\n"
        "给出年度时，重新计算 inputs/<年度>/，并与 outputs/<年度>/ 的每个数字比对"
        "（figures.json、report.md、tables.xlsx、summary.xlsx）：被手工改动的输出、"
        "由旧输入生成的输出、占比公式与数值不符之处。给出 --text 文件时，核对报告"
        "文字中的占比、合计、约数、比率和增减，以及遗留的模板占位文字；2019年起的"
        "全国统一格式报告，还按格式规则核对表二至表四，并将文字中的数字与表格比对。\n\n"
        "全部一致时退出码为 0（可以有提示），否则为 1；命令行有误（如该年度尚未汇总）时为 2。\n\n"
        "示例：\n\n"
        "    govstats audit 2017\n"
        "    govstats audit --text 株洲市2017年政府信息公开工作年度报告.pdf --explain",
        "year": "要由 inputs/<年度>/ 重新推算的已汇总年度。",
        "text": "改为核对一份已公开的报告：.txt、.md、.html 或有文字层的 PDF。",
        "inputs": "存放 <年度>/units.csv 和工作簿的文件夹。",
        "outputs": "存放已汇总的 <年度>/ 的文件夹。",
        "templates": "汇总该年度时使用的模板文件夹。",
        "explain": "与 --text 同用：同时列出每处核对无误和未能核对的表述。",
    },
    # Options every command shares.
    "*": {
        "lang": "提示的语言：zh（中文，默认）或 en（英文）。",
        "output_format": "text 供人阅读，json 供程序读取。",
        "format_id": "使用指定的报表格式，而非该年度的格式。",
        "debug": "出现意外错误时显示调用栈。",
        "help": "显示此帮助并退出。",
    },
}

# Words table: what govstats says around the help and about a usage error. The
# English of the help's headings and of the usage errors' details is the one click
# itself prints; the Chinese replaces it.
WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "hint": "请运行“{helper}”查看帮助。",
        "error": "错误：",
        "aborted": "已中止。",
        "missing": "缺少{kind} {hint}。",
        "argument": "参数",
        "option": "选项",
        "invalid": "{hint} 的值无效：{reason}。",
        "one_of": "应为 {choices} 之一",
        "at_least": "应不小于 {bound}",
        "at_most": "应不大于 {bound}",
        "integer": "应为整数",
        "malformed": "格式不对",
        "no_option": "没有选项 {name}{maybe}。",
        "maybe": "（可能是：{names}）",
        "no_value": "选项 {name} 不接受值。",
        "needs_value": "选项 {name} 需要一个值。",
        "no_command": "没有命令“{0}”。",
        "missing_command": "缺少命令。",
        "extra": "多余的参数：{0}。",
    },
    "en": {
        "hint": "Try '{helper}' for help.",
        "error": "Error: ",
        "aborted": "Aborted!",
    },
}

# Help headings click prints, and their Chinese.
_HELP_WORDS_ZH = (
    ("Usage: ", "用法："),
    ("[OPTIONS]", "[选项]"),
    ("COMMAND [ARGS]...", "命令 [参数]..."),
    ("\nArguments:\n", "\n参数：\n"),
    ("\nOptions:\n", "\n选项：\n"),
    ("\nCommands:\n", "\n命令：\n"),
    ("[default: ", "[默认："),
    ("[default:", "[默认："),
    ("[required]", "[必填]"),
    ("Show this message and exit.", "显示此帮助并退出。"),
)

# Usage errors click words without a type of their own: its English, the key of
# the Chinese in WORDS.
_USAGE_MESSAGES = (
    (r"No such command '(.*)'\.", "no_command"),
    (r"Missing command\.", "missing_command"),
    (r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)", "extra"),
)


def _localize_words(text: str) -> str:
    for en, zh in _HELP_WORDS_ZH:
        text = text.replace(en, zh)
    return text


@contextlib.contextmanager
def _chinese_help(command: Any, name: str) -> Iterator[None]:
    """``command`` with its help and its options' help in Chinese, for a while."""
    words = HELP_ZH.get(name, {})
    saved = [(command, command.help, command.short_help)]
    if "" in words:
        # "\b" keeps click from re-wrapping a paragraph: it breaks lines only at
        # spaces, and Chinese has none, so it cut "tables.xlsx" in two instead.
        command.help = "\n\n".join(f"\b\n{para}" for para in words[""].split("\n\n"))
        command.short_help = words[""].split("\n", 1)[0]
    for param in command.params:
        text = words.get(param.name) or HELP_ZH["*"].get(param.name)
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
