"""What the command groups of the command line share (``article6``, ``audit``, ``links``;
``simulate`` and the service commands use its parser and output helpers).

A group is a top-level command with subcommands. Each subcommand shows the
group's examples (its epilog, printed as written), takes the store options where
it reads the store, and ``--json``. Errors go to stderr with exit status 2: the
command could not run (1 is left for "it ran and found something").
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from clearinghouse.checks import Refused

#: adds ``--store`` and ``--database-url`` to a parser (``clearinghouse.cli``)
Options = Callable[[argparse.ArgumentParser], None]


def documented(
    parent: Any, name: str, help: str, description: str, epilog: str
) -> argparse.ArgumentParser:
    """A command's parser on ``parent`` (a subparsers action) whose epilog of
    examples keeps its line breaks."""
    parser: argparse.ArgumentParser = parent.add_parser(
        name, help=help, description=description, epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    return parser


class CommandGroup:
    """A top-level command and its subcommands; ``args.<name>`` says which one ran.

    ``store_options`` is added to every subcommand (None: a group whose commands
    mostly need no store adds them itself to the ones that do)."""

    def __init__(
        self,
        sub: Any,
        name: str,
        help: str,
        description: str,
        epilog: str,
        store_options: Options | None,
    ) -> None:
        self.epilog = epilog
        self.store_options = store_options
        top = documented(sub, name, help, description, epilog)
        self.commands = top.add_subparsers(dest=name, required=True, metavar="SUBCOMMAND")

    def command(
        self, name: str, help: str, description: str, store: bool = True
    ) -> argparse.ArgumentParser:
        """A subcommand with the group's examples, the store options (unless
        ``store`` is False) and ``--json``."""
        parser = documented(self.commands, name, help, description, self.epilog)
        if store and self.store_options is not None:
            self.store_options(parser)
        parser.add_argument("--json", action="store_true", help="print JSON")
        return parser


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    """Print ``data`` as JSON with ``--json``, else the human-readable ``text``."""
    print(json.dumps(data, indent=2, default=str) if args.json else text)


def fail(message: str) -> int:
    """Say why the command could not run; its exit status (2)."""
    print(f"error: {message}", file=sys.stderr)
    return 2


def fail_refused(error: Refused) -> int:
    """A refusal that stops the command: its check code and reason; exit status 2."""
    print(f"error {error.code}: {error.reason}", file=sys.stderr)
    return 2
