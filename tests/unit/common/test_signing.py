"""Signatures of envelopes and caller contexts, and key files made once (no broker)."""

import multiprocessing
import threading
import time

import pytest
from nacl.signing import SigningKey

from services.common import keyfiles, signing
from services.common.envelope import make_envelope


# every test here starts from a data dir with no key in it (conftest.py)
pytestmark = pytest.mark.usefixtures("data_dir")


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


# --- each refusal says what is wrong, word for word (the reason is a metric label, the detail is logged) ------


def refusal(call):
    with pytest.raises(signing.Rejected) as refused:
        call()
    return refused.value.reason, str(refused.value)


def test_a_refused_envelope_says_why_in_its_own_words():
    signed = signing.sign_envelope(envelope())
    assert refusal(lambda: signing.verify_envelope("a string")) == ("malformed", "not an envelope")
    for missing in ({k: v for k, v in signed.items() if k != "signature"}, dict(signed, signature="")):
        assert refusal(lambda: signing.verify_envelope(missing)) == ("unsigned", "the envelope carries no signature")
    # a signature that is not text is no signature either, whatever it is
    assert refusal(lambda: signing.verify_envelope(dict(signed, signature=5))) == (
        "unsigned",
        "the envelope carries no signature",
    )


def test_a_misrouted_or_unknown_source_is_named_in_the_refusal_cut_to_64_characters():
    long = "m" * 100
    signed = signing.sign_document(SigningKey.generate(), dict(envelope(), source=long))
    assert refusal(lambda: signing.verify_envelope(signed, source="supervision")) == (
        "wrong_source",
        f"an envelope from {'m' * 64!r} on supervision's exchange",
    )
    assert refusal(lambda: signing.verify_envelope(signed)) == ("unknown_source", f"no party {'m' * 64!r} signs events")


def test_a_signature_with_a_character_outside_base64_is_forged_not_read_around():
    signed = signing.sign_envelope(envelope())
    sig = signed["signature"]
    # base64 decoding that skips stray characters would read this as the valid signature
    spoiled = dict(signed, signature=sig[:10] + "!" + sig[10:])
    assert refusal(lambda: signing.verify_envelope(spoiled)) == (
        "forged",
        "the signature does not verify for supervision",
    )


def test_a_signer_not_known_yet_is_named():
    signed = signing.sign_document(SigningKey.generate(), envelope("examination"))
    with pytest.raises(signing.KeyUnknown, match="^the public key of examination is not known yet$"):
        signing.verify_envelope(signed)


def test_a_document_without_a_signature_or_a_canonical_form_is_refused_as_such():
    signing.signing_key("records")
    assert refusal(lambda: signing.verify_document(["not", "a", "dict"], "records")) == ("unsigned", "no signature")
    assert refusal(lambda: signing.verify_document({"n": 1}, "records")) == ("unsigned", "no signature")
    assert refusal(lambda: signing.verify_document({"n": 1, "signature": ""}, "records")) == (
        "unsigned",
        "no signature",
    )
    assert refusal(lambda: signing.verify_document({"n": 1, "signature": 7}, "records")) == ("unsigned", "no signature")
    nan = {"n": float("nan"), "signature": "c2ln"}  # JCS has no NaN
    assert refusal(lambda: signing.verify_document(nan, "records")) == ("malformed", "no canonical form")


def test_a_document_signed_again_is_signed_without_its_old_signature(monkeypatch):
    first, second = SigningKey.generate(), SigningKey.generate()
    monkeypatch.setenv("RECORDS_PUBLIC_KEY", signing.public_b64(second))
    resigned = signing.sign_document(second, signing.sign_document(first, {"n": 1}))
    signing.verify_document(resigned, "records")


def gateway_context(**entries):
    return signing.sign_context(signing.signing_key("gateway"), {"cadre_actor": "org", **entries})


def test_a_refused_context_says_why_in_its_own_words():
    for unsigned in ({"cadre_actor": "org"}, {"cadre_actor": "org", "cadre_signature": ""}):
        assert refusal(lambda: signing.verify_context(unsigned, 0.0, "cadre_deadline")) == (
            "unsigned",
            "the request carries no signed caller context",
        )
    nan = {"cadre_actor": "org", "cadre_n": float("nan"), "cadre_signature": "c2ln"}
    assert refusal(lambda: signing.verify_context(nan, 0.0, "cadre_deadline")) == (
        "forged",
        "the caller context has no canonical form",
    )
    undated = gateway_context()
    assert refusal(lambda: signing.verify_context(undated, 0.0, "cadre_deadline")) == (
        "unsigned",
        "the caller context has no expiry",
    )
    dated = gateway_context(cadre_deadline="1000.5")
    assert refusal(lambda: signing.verify_context(dated, 1000.6, "cadre_deadline")) == (
        "expired",
        "the caller context has expired",
    )


def test_a_context_still_verifies_at_the_very_moment_of_its_deadline():
    signing.verify_context(gateway_context(cadre_deadline="1000.5"), 1000.5, "cadre_deadline")


# --- keys: their text, their settings and files, and each is learned once ----------------------------------


def test_a_signing_key_text_must_be_strict_base64_of_a_32_byte_seed():
    key = SigningKey.generate()
    text = signing.key_to_b64(key)
    assert signing.key_from_b64(f" {text}\n") == key
    with pytest.raises(ValueError, match="^a signing key must be base64$"):
        signing.key_from_b64(text[:10] + "!" + text[10:])  # not decoded around the stray character
    with pytest.raises(ValueError, match="^a signing key must be base64$"):
        signing.key_from_b64(None)
    with pytest.raises(ValueError, match="^a signing key seed must be 32 bytes, not 3$"):
        signing.key_from_b64("AAAA")


def test_a_bad_key_file_is_named_by_its_path(data_dir):
    path = data_dir / "keys" / "nomination.key"
    path.parent.mkdir()
    path.write_text("AAAA\n")
    with pytest.raises(RuntimeError) as refused:
        signing.signing_key("nomination")
    assert str(refused.value) == f"{path}: a signing key seed must be 32 bytes, not 3"


def test_a_bad_configured_key_names_its_setting_and_what_is_wrong(monkeypatch):
    monkeypatch.setenv("NOMINATION_SIGNING_KEY", "AAAA")
    with pytest.raises(RuntimeError) as refused:
        signing.signing_key("nomination")
    assert str(refused.value) == "NOMINATION_SIGNING_KEY: a signing key seed must be 32 bytes, not 3"


def test_a_signing_key_is_read_once_for_the_life_of_the_process(data_dir):
    key = signing.signing_key("records")
    (data_dir / "keys" / "records.key").write_text(signing.key_to_b64(SigningKey.generate()) + "\n")
    assert signing.signing_key("records") == key


def test_a_public_key_file_that_cannot_be_written_stops_only_a_key_the_data_dir_holds(data_dir, monkeypatch):
    (data_dir / "keys" / "records.pub").mkdir(parents=True)  # a folder where the public key goes
    with pytest.raises(OSError):
        signing.signing_key("records")  # its peers learn its public key from that file alone
    configured = SigningKey.generate()
    (data_dir / "keys" / "nomination.pub").mkdir()
    monkeypatch.setenv("NOMINATION_SIGNING_KEY", signing.key_to_b64(configured))
    # a configured key's peers are told its public key by their own settings
    assert signing.signing_key("nomination") == configured


def test_a_bad_public_key_names_its_setting_or_its_file(data_dir, monkeypatch):
    key = signing.public_b64(SigningKey.generate())
    monkeypatch.setenv("EXAMINATION_PUBLIC_KEY", key[:10] + "!" + key[10:])
    with pytest.raises(RuntimeError) as refused:
        signing.public_key("examination")
    assert str(refused.value) == "EXAMINATION_PUBLIC_KEY: a public key must be base64"
    path = data_dir / "keys" / "supervision.pub"
    path.parent.mkdir()
    path.write_text("AAAA\n")
    with pytest.raises(RuntimeError) as refused:
        signing.public_key("supervision")
    assert str(refused.value) == f"{path}: a public key must be 32 bytes, not 3"


def test_a_party_whose_signing_key_is_configured_here_is_verified_by_it(monkeypatch):
    key = SigningKey.generate()
    monkeypatch.setenv("EXAMINATION_SIGNING_KEY", signing.key_to_b64(key))
    assert signing.public_key("examination") == key.verify_key
    assert signing.public_key("mallory") is None


def test_a_public_key_is_learned_once_for_the_life_of_the_process(data_dir):
    path = data_dir / "keys" / "supervision.pub"
    path.parent.mkdir()
    first = SigningKey.generate()
    path.write_text(signing.public_b64(first) + "\n")
    assert signing.public_key("supervision") == first.verify_key
    path.write_text(signing.public_b64(SigningKey.generate()) + "\n")
    assert signing.public_key("supervision") == first.verify_key
