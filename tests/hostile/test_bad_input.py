"""Bad input that schemathesis does not send, to every endpoint of /openapi.json (public ones without a
token, protected ones with a token of a role they allow): JSON nested 100,000 deep, invalid UTF-8, lone
surrogates, duplicate keys, numbers out of range (1e400, 10**5000), NaN and Infinity; odd Unicode digits
(², ١, fullwidth) and undecodable bytes in every query parameter and path id; CSV with a field over
128 KiB, undecodable bytes or a bare carriage return; wrong content types. Every answer is a 4xx
problem+json: never a 5xx, never a dropped connection (API.md Conventions)."""

from urllib.parse import quote

import pytest
import requests

from gateway import openapi
from tests.e2e.test_examination_flow import World
from tests.hostile.test_abuse import client

DOCUMENT = openapi.document()
METHODS = ("get", "post", "put", "patch", "delete")
OPERATIONS = [
    (method.upper(), path, op)
    for path, item in DOCUMENT["paths"].items()
    for method, op in item.items()
    if method in METHODS
]
# one client address of its own: the refused-ballot limit of the other hostile tests is not spent here
ADDRESS = "127.0.0.9"

DEEP = 100_000
JSON_BODIES = {
    "nested arrays": b"[" * DEEP + b"]" * DEEP,
    "nested objects": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    "nested in a field": b'{"token": ' + b"[" * 5000 + b"]" * 5000 + b', "choices": []}',
    "invalid utf-8": b'{"token": "\xff\xfe\xfd", "name": "\xc0\xaf"}',
    "utf-8 of a surrogate": b'{"token": "\xed\xa0\x80"}',
    "lone surrogate escape": b'{"token": "\\ud800", "code": "\\udfff", "name": "\\ud800"}',
    "duplicate keys": b'{"token": "a", "token": "b"}',
    "1e400": b'{"token": 1e400, "headcount": 1e400, "vacancies": 1e400, "score": 1e400}',
    "-1e400": b'{"headcount": -1e400, "score": -1e400, "rating": -1e400}',
    "10**5000": b'{"headcount": ' + b"1" + b"0" * 5000 + b', "score": ' + b"9" * 5000 + b"}",
    "NaN": b'{"headcount": NaN, "score": NaN, "vacancies": NaN}',
    "Infinity": b'{"headcount": Infinity, "score": -Infinity}',
    "truncated": b'{"token": "abc',
    "not an object": b"[1, 2, 3]",
    "a bare string": b'"text"',
    "null": b"null",
    "nul in a key": b'{"\\u0000": 1, "$where": 1, "a.b": 1}',
    "byte order mark": b'\xef\xbb\xbf{"token": "x"}',
}
ODD = [
    "²",
    "١",
    "１２",
    "٣٤",
    "⑤",
    "𝟗",
    "1e400",
    "NaN",
    "Infinity",
    "-1",
    "1_000",
    " 7 ",
    "0x10",
    "9" * 400,
    "%ff",
    "%c0%af",
    "%ed%a0%80",
    "%00",
    "\u202e1",
    "x" * 5000,
]
CSV_BODIES = {
    "a field over 128 KiB": lambda header: (
        header + "\n" + "x" * (129 * 1024) + "," * header.count(",") + "\n"
    ).encode(),
    "a field over 128 KiB, quoted": lambda header: (
        header + '\n"' + "y" * (130 * 1024) + '"' + "," * header.count(",") + "\n"
    ).encode(),
    "undecodable bytes": lambda header: header.encode() + b"\n\xff\xfe\x00\x81," + b"\xc3\x28\n",
    "a bare carriage return": lambda header: (header + "\na\rb" + "," * header.count(",") + "\n").encode(),
    "an unterminated quote": lambda header: (header + '\n"never closed' + "," * header.count(",") + "\n").encode(),
    "nul bytes": lambda header: (header + "\n\x00" + ",\x00" * header.count(",") + "\n").encode(),
    "utf-16": lambda header: header.encode("utf-16"),
}
CSV_HEADERS = {
    "/api/v1/posts/import": "code,unit,title,rank,category,headcount",
    "/api/v1/cadres/import": "code,name,unit,rank,grassroots_years",
    "/api/v1/campaigns/{code}/applications/import": "post,id_number,name,birth_date,education",
}
WRONG_TYPES = [
    ("application/xml", b"<selection><post>P1</post></selection>"),
    ("application/x-www-form-urlencoded", b"token=abc&choices=x"),
    (
        "multipart/form-data; boundary=zz",
        b'--zz\r\nContent-Disposition: form-data; name="token"\r\n\r\nabc\r\n--zz--\r\n',
    ),
    ("text/plain; charset=latin-1", b"\xe9\xe8"),
    ("application/json; charset=utf-16", '{"token": "x"}'.encode("utf-16")),
]


def _roles(op):
    return op.get("x-roles")


def _params(op, where):
    return [p for p in op.get("parameters", []) if p["in"] == where]


def _content(op):
    return set(op.get("requestBody", {}).get("content", {}))


def _id(method, path):
    return f"{method} {path}"


def _url(base, path, values=None):
    values = values or {}
    for name in [p[1:-1] for p in path.split("/") if p.startswith("{")]:
        path = path.replace("{" + name + "}", values.get(name, "1"))
    return base + path


@pytest.fixture(scope="module")
def http(api):
    sessions = {}

    def send(method, op, url, address=ADDRESS, **kwargs):
        session = sessions.setdefault(address, client(address))
        headers = dict(kwargs.pop("headers", {}))
        roles = _roles(op)
        if roles:
            headers["Authorization"] = f"Bearer {api.tokens['hostile-' + roles[0]]}"
        try:
            return session.request(method, url, headers=headers, timeout=60, **kwargs)
        except requests.ConnectionError as exc:
            pytest.fail(f"{method} {url[:120]}: the connection was dropped ({exc})")

    return send


def refused(response, what):
    """A 4xx problem+json; ``what`` names the case in the failure."""
    assert 400 <= response.status_code < 500, f"{what}: {response.status_code} {response.text[:300]}"
    assert response.headers.get("Content-Type", "").startswith("application/problem+json"), (
        f"{what}: {response.headers.get('Content-Type')} {response.text[:200]}"
    )
    body = response.json()
    assert body["status"] == response.status_code and body["code"], f"{what}: {body}"
    return body


def answered(response, what):
    """No 5xx; any 4xx is a problem+json (an odd value of a free-text filter may simply match nothing)."""
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:300]}"
    if response.status_code >= 400:
        refused(response, what)


JSON_OPS = [pytest.param(m, p, op, id=_id(m, p)) for m, p, op in OPERATIONS if "application/json" in _content(op)]
CSV_OPS = [pytest.param(m, p, op, id=_id(m, p)) for m, p, op in OPERATIONS if "text/csv" in _content(op)]
QUERY_OPS = [pytest.param(m, p, op, id=_id(m, p)) for m, p, op in OPERATIONS if _params(op, "query")]
PATH_OPS = [pytest.param(m, p, op, id=_id(m, p)) for m, p, op in OPERATIONS if _params(op, "path")]
POST_OPS = [pytest.param(m, p, op, id=_id(m, p)) for m, p, op in OPERATIONS if m == "POST"]


@pytest.mark.parametrize("method,path,op", JSON_OPS)
def test_malformed_json_bodies(api, http, method, path, op):
    for name, body in JSON_BODIES.items():
        refused(
            http(method, op, _url(api.base, path), data=body, headers={"Content-Type": "application/json"}),
            f"{name} to {method} {path}",
        )


@pytest.fixture(scope="module")
def campaign(api):
    """A campaign that takes applications, so that its import reads the CSV instead of answering 404."""
    return World(api).campaign


@pytest.mark.parametrize("method,path,op", CSV_OPS)
def test_bad_csv_bodies(api, http, campaign, method, path, op):
    header = CSV_HEADERS.get(path, "code,name")
    url = _url(api.base, path, {"code": campaign})
    for name, body in CSV_BODIES.items():
        answer = http(method, op, url, data=body(header), headers={"Content-Type": "text/csv"})
        what = f"{name} to {method} {path}"
        if answer.status_code == 200:
            # a bad row of a usable file is reported in the answer, the good rows kept (API.md)
            result = answer.json()
            assert result["rejected"] and not result.get("imported"), f"{what}: {result}"
        else:
            refused(answer, what)


@pytest.mark.parametrize("method,path,op", QUERY_OPS)
def test_odd_query_values(api, http, method, path, op):
    url = _url(api.base, path)
    for param in _params(op, "query"):
        strict = param["name"] == "cursor" or param.get("schema", {}).get("type") in ("integer", "number")
        for value in ODD:
            raw = value if value.startswith("%") else quote(value, safe="")
            answer = http(method, op, f"{url}?{param['name']}={raw}")
            what = f"?{param['name']}={value[:20]!r} on {method} {path}"
            refused(answer, what) if strict else answered(answer, what)


@pytest.mark.parametrize("method,path,op", PATH_OPS)
def test_odd_path_ids(api, http, method, path, op):
    for param in _params(op, "path"):
        for value in ODD:
            raw = value if value.startswith("%") else quote(value, safe="")
            answer = http(method, op, _url(api.base, path, {param["name"]: raw}), json={} if method == "POST" else None)
            refused(answer, f"{param['name']}={value[:20]!r} in {method} {path}")


@pytest.mark.parametrize("method,path,op", POST_OPS)
def test_wrong_content_types(api, http, method, path, op):
    if "text/csv" in _content(op):
        return  # any text is read as CSV there (see test_bad_csv_bodies)
    for content_type, body in WRONG_TYPES:
        refused(
            http(method, op, _url(api.base, path), data=body, headers={"Content-Type": content_type}),
            f"{content_type} to {method} {path}",
        )


# --- the cases API.md names ---------------------------------------------------------------------


def _op(method, path):
    return next(op for m, p, op in OPERATIONS if (m, p) == (method, path))


def test_deeply_nested_json_on_the_public_ballot_box(api, http):
    # from an address of its own: the fuzz above may have spent this one's refused-ballot allowance
    body = refused(
        http(
            "POST",
            _op("POST", "/api/v1/ballots"),
            api.base + "/api/v1/ballots",
            address="127.0.0.10",
            data=b"[" * DEEP + b"]" * DEEP,
            headers={"Content-Type": "application/json"},
        ),
        "nested",
    )
    assert (body["status"], body["code"]) == (400, "invalid") and "body" in body["errors"]


def test_a_cursor_of_a_superscript_two_on_the_records(api, http):
    body = refused(http("GET", _op("GET", "/api/v1/records"), api.base + "/api/v1/records?cursor=%C2%B2"), "²")
    assert (body["status"], body["code"]) == (400, "invalid") and "cursor" in body["errors"]


def test_a_limit_in_arabic_indic_digits_is_refused_not_read_as_a_number(api, http):
    body = refused(http("GET", _op("GET", "/api/v1/notices"), api.base + "/api/v1/notices?limit=" + quote("١")), "١")
    assert "limit" in body["errors"]


def test_a_record_seq_in_fullwidth_digits_is_not_found(api, http):
    path = "/api/v1/records/{seq}/proof"
    body = refused(http("GET", _op("GET", path), _url(api.base, path, {"seq": quote("１")})), "１")
    assert body["status"] == 404


def test_a_csv_field_over_128_kib_in_the_posts_import_is_a_rejected_row(api, http):
    header = CSV_HEADERS["/api/v1/posts/import"]
    big = "x" * (129 * 1024)
    answer = http(
        "POST",
        _op("POST", "/api/v1/posts/import"),
        api.base + "/api/v1/posts/import",
        data=f"{header}\n{big},U,T,clerk,promotion,1\n".encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert answer.status_code == 200, answer.text[:300]
    result = answer.json()
    assert result["imported"] == 0 and [r["row"] for r in result["rejected"]] == [1], result
    assert big[:100] not in answer.text  # the field is named, not echoed


def test_duplicate_keys_are_refused_naming_the_key(api, http):
    body = refused(
        http(
            "POST",
            _op("POST", "/api/v1/units"),
            api.base + "/api/v1/units",
            data=b'{"code": "U-a", "name": "x", "code": "U-b"}',
            headers={"Content-Type": "application/json"},
        ),
        "duplicate",
    )
    assert "code" in str(body["errors"])
