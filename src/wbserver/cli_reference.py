"""docs/cli.md, generated from the argparse parser of `wbserver` (python -m wbserver.cli_reference).

Markdown rather than argparse's help text: the same on every Python version and terminal width.
tests/unit/test_cli_reference.py fails when docs/cli.md no longer matches the parser.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

HEADER = """# Command-line reference

Generated from the parser of the `wbserver` command: regenerate with
`python -m wbserver.cli_reference > docs/cli.md`. Every command also answers `--help`.
Settings come from the environment (see [Configuration](operators.md#settings)); the
options below only choose what a command does.
"""


def _commands(parser: argparse.ArgumentParser, path: str, summary: str
              ) -> Iterator[tuple[str, str, argparse.ArgumentParser]]:
    """Every command that runs something (the leaves), in the order the parser lists them."""
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subparsers:
        yield path, summary, parser
        return
    helps = {a.dest: a.help or "" for a in subparsers[0]._choices_actions}
    for name, child in subparsers[0].choices.items():
        yield from _commands(child, f"{path} {name}", helps.get(name, ""))


def _argument(action: argparse.Action) -> str:
    if action.option_strings:
        names = ", ".join(f"`{o}`" for o in action.option_strings)
        if action.nargs == 0:
            return names
        metavar = action.metavar or (
            "{" + ",".join(map(str, action.choices)) + "}" if action.choices
            else action.dest.upper())
        return f"{names} `{metavar}`"
    return f"`{action.metavar or action.dest}`"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _default(action: argparse.Action) -> str:
    if action.option_strings and action.nargs != 0 and action.default not in (None, "",
                                                                              argparse.SUPPRESS):
        return f"`{action.default}`"
    return ""


def reference(parser: argparse.ArgumentParser) -> str:
    lines = [HEADER]
    for path, summary, command in _commands(parser, parser.prog, ""):
        lines += [f"## `{path}`", ""]
        if summary:
            lines += [_cell(summary)[:1].upper() + _cell(summary)[1:] + ".", ""]
        arguments = [a for a in command._actions if not isinstance(a, argparse._HelpAction)
                     and a.help != argparse.SUPPRESS]
        if arguments:
            lines += ["| argument | default | what it does |", "| --- | --- | --- |"]
            lines += [f"| {_argument(a)} | {_default(a)} | {_cell(a.help or '')} |"
                      for a in arguments]
            lines.append("")
    return "\n".join(lines)


def main() -> None:
    from wbserver.cli import parser

    print(reference(parser()), end="")


if __name__ == "__main__":
    main()
