"""What the command-line tools share: one argument parser, and reading a bearer token that may start with a dash."""

import argparse
import sys


class Parser(argparse.ArgumentParser):
    """argparse with examples under ``--help`` and a bad argument answered in one line on stderr, exit 2.

    ``examples`` is the text shown after the options; sub-commands made with ``add_subparsers`` are Parsers too.
    """

    def __init__(self, *args, examples=None, **kwargs):
        if examples:
            kwargs.setdefault("epilog", "examples:\n" + examples.strip("\n"))
            kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def add_subparsers(self, **kwargs):
        kwargs.setdefault("parser_class", Parser)
        return super().add_subparsers(**kwargs)

    def error(self, message):
        self.exit(2, f"error: {message} (see: {self.prog} --help)\n")


def glue_token_value(argv=None, option="--token"):
    """``--token X`` as ``--token=X``. A token is base64url and starts with ``-`` one time in 64;
    argparse would read such a value as an option of its own and refuse the command."""
    argv = list(sys.argv[1:] if argv is None else argv)
    glued = []
    i = 0
    while i < len(argv):
        if argv[i] == option and i + 1 < len(argv):
            glued.append(f"{option}={argv[i + 1]}")
            i += 2
        else:
            glued.append(argv[i])
            i += 1
    return glued
