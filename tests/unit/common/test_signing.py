"""Signatures of envelopes and caller contexts, and key files made once (no broker)."""

import multiprocessing
import threading
import time

import pytest
from nacl.signing import SigningKey

from services.common import keyfiles, signing
from services.common.envelope import make_envelope


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CADRE_DATA_DIR", str(tmp_path))
    for party in signing.PARTIES:
        for kind in ("SIGNING_KEY", "PUBLIC_KEY"):
            monkeypatch.delenv(f"{party.upper()}_{kind}", raising=False)
    return tmp_path


def envelope(source="supervision"):
    return make_envelope("pre_report.approved", source, "selection:S1", {"selection": "S1", "n": 1.5})


def reason(call):
    with pytest.raises(signing.Rejected) as refused:
        call()
    return refused.value.reason


def test_a_signed_envelope_verifies_and_its_public_key_is_written_beside_the_key(data_dir):
    signed = signing.sign_envelope(envelope())
    assert (data_dir / "keys" / "supervision.key").exists() and (data_dir / "keys" / "supervision.pub").exists()
    signing.verify_envelope(signed, source="supervision")
    signing.verify_envelope(dict(reversed(list(signed.items()))))  # key order is not part of it


def test_unsigned_altered_misattributed_and_misrouted_envelopes_are_rejected():
    signed = signing.sign_envelope(envelope())
    signing.signing_key("nomination")
    assert reason(lambda: signing.verify_envelope(envelope())) == "unsigned"
    assert reason(lambda: signing.verify_envelope(dict(signed, data={"selection": "S2", "n": 1.5}))) == "forged"
    assert reason(lambda: signing.verify_envelope(dict(signed, source="nomination"))) == "forged"
    by_nomination = signing.sign_envelope(envelope("nomination"))
    assert reason(lambda: signing.verify_envelope(by_nomination, source="supervision")) == "wrong_source"
    assert reason(lambda: signing.verify_envelope(dict(signed, signature="!!"))) == "forged"
    own = signing.sign_document(SigningKey.generate(), dict(envelope(), source="mallory"))
    assert reason(lambda: signing.verify_envelope(own)) == "unknown_source"
    assert reason(lambda: signing.verify_envelope(["not", "a", "dict"])) == "malformed"


def test_a_source_whose_key_is_not_known_yet_is_not_a_forgery():
    signed = signing.sign_document(SigningKey.generate(), envelope("examination"))
    with pytest.raises(signing.KeyUnknown):
        signing.verify_envelope(signed)


def test_public_keys_from_the_environment_win(monkeypatch):
    key = SigningKey.generate()
    monkeypatch.setenv("EXAMINATION_PUBLIC_KEY", signing.public_b64(key))
    signing.verify_envelope(signing.sign_document(key, envelope("examination")))


def test_a_context_verifies_until_its_deadline_and_every_cadre_entry_is_signed():
    key = signing.signing_key("gateway")
    now = time.time()
    context = signing.sign_context(
        key,
        {
            "cadre_actor": "org",
            "cadre_role": "org",
            "cadre_deadline": f"{now + 5:.3f}",
            "cadre_request_secret": "s",
            "call_id_stack": ["x"],
        },
    )
    signing.verify_context(context, now, "cadre_deadline")
    signing.verify_context(dict(context, call_id_stack=["x", "y"]), now, "cadre_deadline")  # not ours: nameko's
    assert reason(lambda: signing.verify_context(context, now + 6, "cadre_deadline")) == "expired"
    assert (
        reason(lambda: signing.verify_context(dict(context, cadre_role="superior"), now, "cadre_deadline")) == "forged"
    )
    assert reason(lambda: signing.verify_context(dict(context, cadre_extra="1"), now, "cadre_deadline")) == "forged"
    assert reason(lambda: signing.verify_context({"cadre_actor": "org"}, now, "cadre_deadline")) == "unsigned"
    other = signing.sign_context(SigningKey.generate(), dict(context))
    assert reason(lambda: signing.verify_context(other, now, "cadre_deadline")) == "forged"
    undated = signing.sign_context(key, {"cadre_actor": "org"})
    assert reason(lambda: signing.verify_context(undated, now, "cadre_deadline")) == "unsigned"


def test_a_bad_configured_key_says_which_setting(monkeypatch):
    monkeypatch.setenv("NOMINATION_SIGNING_KEY", "not-base64!")
    with pytest.raises(RuntimeError, match="NOMINATION_SIGNING_KEY"):
        signing.signing_key("nomination")


def _make(path, out):
    out.put(keyfiles.read_or_create(path, lambda: SigningKey.generate().encode().hex()))


def test_processes_starting_together_make_one_key(tmp_path):
    path = tmp_path / "keys" / "k.key"
    out = multiprocessing.get_context("fork").Queue()
    procs = [multiprocessing.get_context("fork").Process(target=_make, args=(path, out)) for _ in range(6)]
    for p in procs:
        p.start()
    keys = {out.get(timeout=20) for _ in procs}
    for p in procs:
        p.join(timeout=20)
    assert len(keys) == 1 and path.read_text().strip() in keys
    assert path.stat().st_mode & 0o077 == 0


def test_a_reader_waits_for_the_writer_and_never_reads_it_empty(tmp_path):
    path = tmp_path / "k.key"
    path.touch()  # created by a writer that has not written yet

    def writer():
        time.sleep(0.3)
        path.write_text("abc\n")

    threading.Thread(target=writer).start()
    assert keyfiles.read_or_create(path, lambda: "never") == "abc"


def test_a_file_whose_writer_died_empty_is_an_error_not_a_key(tmp_path):
    path = tmp_path / "k.key"
    path.touch()
    with pytest.raises(RuntimeError, match="stayed empty"):
        keyfiles.read_or_create(path, lambda: "never", wait_seconds=0.2)
