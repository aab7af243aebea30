"""docs/cli.md is the reference generated from the `wbserver` parser, and still matches it."""

import argparse
from pathlib import Path

from wbserver.cli import parser
from wbserver.cli_reference import reference

DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_docs_cli_md_matches_the_parser():
    assert DOCS.read_text() == reference(parser()), \
        "regenerate it: python -m wbserver.cli_reference > docs/cli.md"


def test_reference_names_every_command_and_option():
    text = reference(parser())

    def walk(command: argparse.ArgumentParser, path: str) -> None:
        subs = [a for a in command._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            assert f"## `{path}`" in text, path
            for action in command._actions:
                for option in action.option_strings:
                    if option not in ("-h", "--help"):
                        assert f"`{option}`" in text, (path, option)
            return
        for name, child in subs[0].choices.items():
            walk(child, f"{path} {name}")

    walk(parser(), "wbserver")
    assert "## `wbserver serve`" in text and "`--log-level`" in text
