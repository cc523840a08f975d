"""The vendor tool end to end: keygen, seal a long CSV into several sheets, submit them, unseal and rank."""

import json
import subprocess

from tests.e2e.test_examination_flow import World, _campaign_with_candidates, code
from tests.harness import PYTHON, REPO


def vendor_tool(*args, cwd):
    return subprocess.run(
        [PYTHON, "-m", "services.examination.vendor", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )


def test_keygen_seal_split_submit_unseal(api, tmp_path):
    world = _campaign_with_candidates(api, n=8, seats=2, ratio=1)
    out = vendor_tool("keygen", "--out", str(tmp_path / "vendor.key"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    public = json.loads(out.stdout)["signing_key"]
    assert (tmp_path / "vendor.key").stat().st_mode & 0o077 == 0
    again = vendor_tool("keygen", "--out", str(tmp_path / "vendor.key"), cwd=tmp_path)
    assert again.returncode == 2 and "refusing to overwrite" in again.stderr

    vendor = code("V")
    r = api.post(
        "/api/v1/vendors",
        {"code": vendor, "name": "Grading firm", "roles": ["grading"], "signing_key": public, "affiliations": []},
        as_="org",
    )
    assert r.status_code == 201, r.text
    token = api.principal(vendor, "vendor")
    assert api.post(world.path("/vendors"), {"vendor": vendor, "role": "grading"}, as_="org").status_code == 200
    codes = world.blind_codes("written", as_=vendor)
    scores = {c: 50 + 5 * i for i, c in enumerate(codes)}
    csv_path = tmp_path / "scores.csv"
    csv_path.write_text("blind_code,score\n" + "".join(f"{c},{s}\n" for c, s in scores.items()))

    bad = tmp_path / "bad.csv"
    bad.write_text(f"blind_code,score\n{codes[0]},101\n{codes[1]},x\n{codes[2]},50\n{codes[2]},60\n")
    refused = vendor_tool(
        "seal",
        "--campaign",
        world.campaign,
        "--stage",
        "written",
        "--examiner",
        f"{vendor}/g1",
        "--public-key",
        world.public_key,
        "--signing-key",
        str(tmp_path / "vendor.key"),
        "--csv",
        str(bad),
        "--out",
        str(tmp_path / "bad.json"),
        cwd=tmp_path,
    )
    assert refused.returncode == 2
    assert "row 2" in refused.stderr and "row 3" in refused.stderr and "row 5" in refused.stderr

    sealed = vendor_tool(
        "seal",
        "--campaign",
        world.campaign,
        "--stage",
        "written",
        "--examiner",
        f"{vendor}/g1",
        "--public-key",
        world.public_key,
        "--signing-key",
        str(tmp_path / "vendor.key"),
        "--csv",
        str(csv_path),
        "--out",
        str(tmp_path / "body.json"),
        "--max-bytes",
        "700",
        cwd=tmp_path,
    )
    assert sealed.returncode == 0, sealed.stderr
    files = json.loads(sealed.stdout)["files"]
    assert len(files) > 1 and all((tmp_path / f).stat().st_size <= 700 for f in files)

    submitted = vendor_tool(
        "submit", "--url", api.base, "--token", token, "--campaign", world.campaign, *files, cwd=tmp_path
    )
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr
    lines = [json.loads(line) for line in submitted.stdout.splitlines()]
    assert [line["status"] for line in lines] == [202] * len(files)
    # running it again (a retry after a lost answer) is harmless: replayed, nothing submitted twice
    again = vendor_tool(
        "submit", "--url", api.base, "--token", token, "--campaign", world.campaign, *files, cwd=tmp_path
    )
    assert again.returncode == 0, again.stdout

    result = world.unseal_all("written")
    assert result["sheets"] == len(files) and result["problems"] == []
    ranking = api.get(world.path("/results"), as_="org").json()["posts"][0]["ranking"]
    assert sorted(row["written"] for row in ranking) == sorted(float(s) for s in scores.values())


def test_unassigned_vendor_submit_reports_the_refusal(api, tmp_path):
    world = World(api)
    grader = world.vendor(["grading"], assign=[])
    body = tmp_path / "body.json"
    body.write_text(json.dumps(world.sheet(grader, "written", {"AAAA": 1})))
    out = vendor_tool(
        "submit",
        "--url",
        api.base,
        "--token",
        api.tokens[grader],
        "--campaign",
        world.campaign,
        str(body),
        cwd=tmp_path,
    )
    assert out.returncode == 1 and json.loads(out.stdout)["status"] == 403
