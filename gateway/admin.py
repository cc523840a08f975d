"""Operator commands for principals: create, list, revoke, rotate (API.md "Operating it")."""

import warnings

# The pinned eventlet warns on import that it is deprecated (DESIGN.md pins it): not the operator's business.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import argparse
import json
import sys

from pymongo.errors import PyMongoError

from gateway.auth import create_principal, list_principals, revoke_principal, rotate_token
from gateway.authz import ROLES
from services.common.cli import Parser
from services.common.errors import CadreError
from services.common.mongo import connect

EXAMPLES = """\
  python -m gateway.admin create-principal --name discipline-office --role discipline --expires-in 90
  python -m gateway.admin list-principals
  python -m gateway.admin rotate-token --name discipline-office
  python -m gateway.admin revoke-principal --name discipline-office

A token is printed only by create-principal and rotate-token, once. A revoked, rotated-out or expired
token is refused (401) by every gateway within 5 seconds, and its console sessions end."""


def _days(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--expires-in must be a number of days, not {text!r}")
    if not 0 < value <= 36600:
        raise argparse.ArgumentTypeError("--expires-in must be above 0 and at most 36600 days")
    return value


def parser():
    root = Parser(
        prog="python -m gateway.admin", description="Manage the principals that call the gateway.", examples=EXAMPLES
    )
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    create = commands.add_parser(
        "create-principal", help="create a principal and print its token once", examples=EXAMPLES
    )
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--expires-in", type=_days, metavar="DAYS", help="end the token after DAYS days")
    commands.add_parser("list-principals", help="one JSON object a line: name, role, created_at, expires_at, revoked")
    revoke = commands.add_parser("revoke-principal", help="end a principal's token and console sessions")
    revoke.add_argument("--name", required=True)
    rotate = commands.add_parser("rotate-token", help="print a new token and end the old one")
    rotate.add_argument("--name", required=True)
    return root


def main(argv=None):
    args = parser().parse_args(argv)
    connect("gateway")
    try:
        if args.command == "create-principal":
            print(json.dumps(create_principal(args.name, args.role, args.expires_in)))
        elif args.command == "list-principals":
            for row in list_principals():
                print(json.dumps(row, ensure_ascii=False))
        elif args.command == "revoke-principal":
            print(json.dumps(revoke_principal(args.name)))
        else:
            print(json.dumps(rotate_token(args.name)))
    except CadreError as error:
        fields = "; ".join(f"{k}: {', '.join(v)}" for k, v in (error.errors or {}).items())
        print(f"error: {error.detail}{f' ({fields})' if fields else ''}".replace("\n", " "), file=sys.stderr)
        return 1
    except PyMongoError as error:
        print(f"error: the gateway's database is unreachable ({type(error).__name__})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
