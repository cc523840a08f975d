"""Operator commands: ``python -m gateway.admin create-principal --name NAME --role ROLE``."""
import argparse
import json
import sys

from gateway.auth import create_principal
from gateway.authz import ROLES
from services.common.errors import CadreError
from services.common.mongo import connect


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m gateway.admin")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-principal", help="create a principal and print its token once")
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, choices=ROLES)
    args = parser.parse_args(argv)

    connect("gateway")
    try:
        print(json.dumps(create_principal(args.name, args.role)))
    except CadreError as error:
        print(f"error: {error.detail}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
