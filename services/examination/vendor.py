"""The vendor's tool: make a signing key, seal a score sheet, submit sealed sheets (docs/examination.md).

    python -m services.examination.vendor keygen [--out vendor.key]
    python -m services.examination.vendor seal --campaign C --stage written --examiner VENDOR[/GRADER] \\
        --public-key B64 --signing-key vendor.key --csv scores.csv [--out body.json]
    python -m services.examination.vendor submit --url URL [--token T] --campaign C body.json [body-2.json ...]

It needs this package (its sealing code and the examination contract) and PyNaCl; it never talks to anything but
the gateway URL it is given.
"""

import argparse
import csv
import json
import os
import sys
import urllib.error
import urllib.request
from decimal import Decimal, InvalidOperation
from pathlib import Path

from services.common.cli import Parser, glue_token_value
from services.common.errors import CadreError
from services.examination.contract import STAGES
from services.examination.sealing.keys import keygen, load_signing_key
from services.examination.sealing.sheets import MAX_SCORE, MIN_SCORE, check_examiner, seal_sheets, vendor_of

DEFAULT_MAX_BYTES = 1024 * 1024 - 4096  # the gateway's 1 MiB limit, with room for HTTP framing


class Refused(Exception):
    """A problem with the vendor's input: printed, exit status 2."""


def cmd_keygen(args):
    out = Path(args.out)
    if out.exists():
        raise Refused(f"{out} exists; refusing to overwrite a signing key")
    keys = keygen()
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(keys.signing_key + "\n")
    print(
        json.dumps(
            {
                "signing_key": keys.verify_key,
                "private_key_file": str(out),
                "note": "give signing_key to the organization department; keep the file secret",
            }
        )
    )


def read_scores(path):
    """``[{"blind_code", "score"}]`` from a CSV with a ``blind_code,score`` header; every bad row named."""
    rows, problems, seen = [], [], {}
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or {"blind_code", "score"} - {f.strip() for f in reader.fieldnames}:
            raise Refused(f"{path}: the header must be blind_code,score")
        for line, record in enumerate(reader, start=2):
            record = {k.strip(): (v or "").strip() for k, v in record.items() if k}
            code, text = record.get("blind_code", ""), record.get("score", "")
            if not code and not text:
                continue
            if not code:
                problems.append(f"row {line}: no blind code")
                continue
            if code in seen:
                problems.append(f"row {line}: blind code {code} repeats row {seen[code]}")
                continue
            seen[code] = line
            try:
                score = Decimal(text)
                if not score.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                problems.append(f"row {line}: score {text!r} is not a number")
                continue
            if not MIN_SCORE <= score <= MAX_SCORE:
                problems.append(f"row {line}: score {text} is outside {MIN_SCORE}-{MAX_SCORE}")
                continue
            rows.append({"blind_code": code, "score": int(score) if score == score.to_integral_value() else score})
    if problems:
        raise Refused(f"{path}: nothing sealed, fix these rows:\n  " + "\n  ".join(problems))
    if not rows:
        raise Refused(f"{path}: no scores")
    return rows


def cmd_seal(args):
    if args.stage not in STAGES:
        raise Refused(f"--stage must be one of {', '.join(STAGES)}")
    try:
        # The tool does not know the vendor's code; the shape of the name it can check before anything is sealed.
        check_examiner(args.stage, args.examiner, vendor_of(args.examiner))
    except CadreError:
        raise Refused(
            "--examiner must be your vendor code, or for the written stage <vendor code>/<grader> "
            "(letters, digits, - and _, at most 64 each)"
        ) from None
    signing_key = load_signing_key(Path(args.signing_key).read_text().strip())
    scores = read_scores(args.csv)
    bodies = seal_sheets(args.campaign, args.stage, args.examiner, scores, args.public_key, signing_key, args.max_bytes)
    if args.out is None:
        if len(bodies) > 1:
            raise Refused(f"the scores need {len(bodies)} sheets to stay under the size limit; give --out")
        print(json.dumps(bodies[0], separators=(",", ":")))
        return
    out = Path(args.out)
    names = (
        [out]
        if len(bodies) == 1
        else [out.with_name(f"{out.stem}-{n}{out.suffix or '.json'}") for n in range(1, len(bodies) + 1)]
    )
    for name, body in zip(names, bodies):
        name.write_text(json.dumps(body, separators=(",", ":")))
    print(json.dumps({"files": [str(n) for n in names], "sheets": len(bodies), "scores": len(scores)}))


def post_sheet(url, token, campaign, body, timeout=60):
    """POST one sheet body; ``(status, answer)``. The commitment is the Idempotency-Key: a retry is safe."""
    request = urllib.request.Request(
        f"{url.rstrip('/')}/api/v1/campaigns/{campaign}/sealed-sheets",
        data=json.dumps(body, separators=(",", ":")).encode("utf-8"),
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": f"sheet-{body.get('commitment', '')}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"{}")
        except ValueError:
            return exc.code, {}


def cmd_submit(args):
    if not args.token:
        raise Refused("no token: give --token or set CADRE_TOKEN")
    failed = 0
    for path in args.files:
        try:
            body = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            print(json.dumps({"file": path, "error": f"cannot read: {exc}"}))
            failed += 1
            continue
        try:
            status, answer = post_sheet(args.url, args.token, args.campaign, body)
        except (urllib.error.URLError, OSError) as exc:
            print(json.dumps({"file": path, "error": f"cannot reach {args.url}: {exc}"}))
            failed += 1
            continue
        ok = status == 202 or (status == 409 and answer.get("code") == "already_submitted")
        print(
            json.dumps(
                {
                    "file": path,
                    "status": status,
                    **(
                        {"id": answer["id"], "received_at": answer["received_at"]}
                        if status == 202
                        else {"code": answer.get("code"), "detail": answer.get("detail")}
                    ),
                }
            )
        )
        failed += 0 if ok else 1
    return 1 if failed else 0


def parser():
    p = Parser(
        prog="python -m services.examination.vendor",
        description=__doc__.split("\n")[0],
        examples="""
  python -m services.examination.vendor keygen --out vendor.key        # register the printed public key
  python -m services.examination.vendor seal --campaign GX-2026 --stage written --examiner V1/g1 \\
      --public-key "$CAMPAIGN_KEY" --signing-key vendor.key --csv scores.csv --out sheet.json
  CADRE_TOKEN=… python -m services.examination.vendor submit --url https://cadre.example --campaign GX-2026 sheet*.json""",
    )
    sub = p.add_subparsers(dest="command", required=True)
    k = sub.add_parser("keygen", help="make an Ed25519 signing key; prints the public half to register")
    k.add_argument("--out", default="vendor.key", help="file for the private key (created 0600; default vendor.key)")
    s = sub.add_parser("seal", help="seal and sign a CSV of scores (blind_code,score) as sheet bodies")
    s.add_argument("--campaign", required=True)
    s.add_argument("--stage", required=True, choices=STAGES)
    s.add_argument(
        "--examiner",
        required=True,
        help="who scored, as signed: your vendor code; for written also <vendor code>/<grader>",
    )
    s.add_argument("--public-key", required=True, help="the campaign's public_key (base64)")
    s.add_argument("--signing-key", required=True, help="file made by keygen")
    s.add_argument("--csv", required=True, help="scores, header blind_code,score")
    s.add_argument("--out", help="body file; several sheets become NAME-1.json, NAME-2.json ...")
    s.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES, help=argparse.SUPPRESS)
    u = sub.add_parser("submit", help="post sealed sheet bodies to the gateway")
    u.add_argument("--url", required=True, help="gateway base URL, e.g. https://cadre.example")
    u.add_argument(
        "--token",
        default=os.environ.get("CADRE_TOKEN"),
        help="the vendor's API token; default $CADRE_TOKEN (keeps it out of the process list)",
    )
    u.add_argument("--campaign", required=True)
    u.add_argument("files", nargs="+")
    return p


def main(argv=None):
    args = parser().parse_args(glue_token_value(argv))
    try:
        return {"keygen": cmd_keygen, "seal": cmd_seal, "submit": cmd_submit}[args.command](args) or 0
    except Refused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except CadreError as exc:  # a malformed key or public key, named by field
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
