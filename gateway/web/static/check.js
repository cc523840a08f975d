// "Check a record": recompute the leaf hash (RFC 8785 JCS of a flat entry), verify the RFC 6962
// inclusion proof against the signed checkpoint root, the key id and the Ed25519 signature, then the
// C2SP signed-note checkpoint (/log/checkpoint) and its witnesses' cosignature/v1 lines, and say which
// witnesses vouched for a checkpoint that holds the entry — all with WebCrypto in the visitor's own browser.
(function () {
  "use strict";
  var MSG = JSON.parse(document.getElementById("check-messages").textContent);
  var enc = new TextEncoder();

  function hex(bytes) {
    return Array.prototype.map.call(new Uint8Array(bytes), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function unhex(text) {
    var out = new Uint8Array(text.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(text.substr(i * 2, 2), 16);
    return out;
  }
  function unbase64(text) {
    var raw = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  function concat() {
    var total = 0, i;
    for (i = 0; i < arguments.length; i++) total += arguments[i].length;
    var out = new Uint8Array(total), at = 0;
    for (i = 0; i < arguments.length; i++) { out.set(arguments[i], at); at += arguments[i].length; }
    return out;
  }
  function sha256(bytes) {
    return crypto.subtle.digest("SHA-256", bytes).then(function (d) { return new Uint8Array(d); });
  }
  // RFC 8785 for the entries' flat objects: keys sorted by UTF-16 code units, values as ECMAScript
  // serializes them (strings, integers, null, booleans), no whitespace.
  function jcs(value) {
    if (value === null || typeof value !== "object") return JSON.stringify(value);
    if (Array.isArray(value)) return "[" + value.map(jcs).join(",") + "]";
    return "{" + Object.keys(value).sort().map(function (k) { return JSON.stringify(k) + ":" + jcs(value[k]); }).join(",") + "}";
  }
  function leafHash(entry) {
    var copy = {};
    Object.keys(entry).forEach(function (k) { if (k !== "leaf_hash" && k !== "proof") copy[k] = entry[k]; });
    return sha256(concat(new Uint8Array([0]), enc.encode(jcs(copy))));
  }
  // RFC 9162 section 2.1.3.2: the root an inclusion proof leads to.
  function rootFromProof(index, size, leaf, path) {
    var fn = index, sn = size - 1, r = leaf, i = 0;
    function step() {
      if (i >= path.length) return Promise.resolve(sn === 0 ? r : null);
      if (sn === 0) return Promise.resolve(null);
      var p = unhex(path[i++]);
      var next;
      if (fn % 2 === 1 || fn === sn) {
        next = sha256(concat(new Uint8Array([1]), p, r));
        if (fn % 2 === 0) { while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); } }
      } else {
        next = sha256(concat(new Uint8Array([1]), r, p));
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
      return next.then(function (h) { r = h; return step(); });
    }
    return step();
  }
  function getJson(url) {
    return fetch(url, { credentials: "omit", headers: { Accept: "application/json" } }).then(function (res) {
      return res.json().then(function (body) {
        if (!res.ok) throw new Error(url + ": " + res.status + " " + (body.code || "") + " " + (body.detail || ""));
        return body;
      });
    });
  }

  function getText(url) {
    return fetch(url, { credentials: "omit" }).then(function (res) {
      if (!res.ok) throw new Error(url + ": " + res.status);
      return res.text();
    });
  }
  function be64(bytes) {  // a u64 big-endian timestamp (below 2^53 in practice)
    var n = 0;
    for (var i = 0; i < 8; i++) n = n * 256 + bytes[i];
    return n;
  }
  function ed25519(pub, signature, message) {
    return crypto.subtle.importKey("raw", pub, { name: "Ed25519" }, false, ["verify"]).then(function (k) {
      return crypto.subtle.verify({ name: "Ed25519" }, k, signature, message);
    });
  }
  // A C2SP verifier key "<name>+<hex key id>+<base64(type ‖ key)>"; the key id is recomputed, not trusted.
  function parseVkey(vkey) {
    var parts = vkey.split("+");
    var name = parts[0], id = parts[1], raw = unbase64(parts.slice(2).join("+"));
    return sha256(concat(enc.encode(name + "\n"), raw)).then(function (digest) {
      if (hex(digest.slice(0, 4)) !== id || raw.length !== 33) throw new Error("bad vkey " + name);
      return { name: name, id: id, type: raw[0], key: raw.slice(1) };
    });
  }
  // The note's text (what the signatures cover) and its signature lines, per c2sp.org/signed-note.
  function parseNote(body) {
    var split = body.lastIndexOf("\n\n");
    var text = body.slice(0, split + 1);
    var sigs = body.slice(split + 2).split("\n").filter(Boolean).map(function (line) {
      var parts = line.split(" ");
      var raw = unbase64(parts[2] || "");
      return { name: parts[1], id: hex(raw.slice(0, 4)), raw: raw.slice(4) };
    });
    var lines = text.split("\n");
    return { text: text, sigs: sigs, origin: lines[0], size: parseInt(lines[1], 10), root: hex(unbase64(lines[2])) };
  }
  function findSig(note, verifier) {
    return note.sigs.filter(function (s) { return s.name === verifier.name && s.id === verifier.id; })[0];
  }
  // The cosigned note: the log's signature, that the entry is under its root, and each witness's cosignature.
  function checkWitnesses(entrySeq, leafHex, key, outcome) {
    return Promise.all([getText("/log/checkpoint"), getJson("/api/v1/records/witnesses")]).then(function (got) {
      var note = parseNote(got[0]), listed = got[1].witnesses;
      if (!listed.length) { step("witnesses", "info", MSG.no_witnesses); return null; }
      if (entrySeq >= note.size) { step("witnesses", "info", MSG.not_cosigned_yet); return null; }
      return parseVkey(key.vkey).then(function (logKey) {
        var sig = findSig(note, logKey);
        if (!sig || note.origin !== logKey.name) return false;
        return ed25519(logKey.key, sig.raw, enc.encode(note.text));
      }).then(function (logOk) {
        if (!logOk) { step("note", false, MSG.note_bad); outcome.tampered = true; return null; }
        return getJson("/api/v1/records/" + entrySeq + "/proof?size=" + note.size).then(function (proof) {
          return rootFromProof(proof.index, proof.size, unhex(leafHex), proof.path);
        }).then(function (root) {
          var under = root !== null && hex(root) === note.root;
          step("note", under, under ? MSG.note_ok + " (" + note.size + ")" : MSG.note_bad);
          if (!under) { outcome.tampered = true; return null; }
          return Promise.all(listed.map(function (w) {
            return parseVkey(w.vkey).then(function (v) {
              var cosig = findSig(note, v);
              if (!cosig || v.type !== 4 || cosig.raw.length !== 72) return { name: w.name, ok: null };
              var time = be64(cosig.raw.slice(0, 8));
              var message = concat(enc.encode("cosignature/v1\ntime " + time + "\n"), enc.encode(note.text));
              return ed25519(v.key, cosig.raw.slice(8), message).then(function (ok) {
                return { name: w.name, ok: ok, time: time };
              });
            });
          })).then(function (results) {
            var vouched = results.filter(function (r) { return r.ok === true; });
            var forged = results.filter(function (r) { return r.ok === false; });
            if (forged.length) { outcome.tampered = true; }
            var names = vouched.map(function (r) {
              return r.name + " (" + new Date(r.time * 1000).toISOString().replace(".000", "") + ")";
            });
            var ok = forged.length ? false : vouched.length === listed.length ? true : null;
            if (ok === null) outcome.unchecked = true;
            step("witnesses", ok, (forged.length ? MSG.cosig_bad + " " + forged.map(function (r) { return r.name; }).join(", ")
              : vouched.length ? MSG.vouched + " " + names.join("; ") : MSG.no_cosig) +
              (ok === null && vouched.length ? " " + MSG.some_missing : ""));
            return null;
          });
        });
      });
    }, function () {
      step("witnesses", null, MSG.witnesses_unavailable);
      outcome.unchecked = true;
    });
  }

  var steps = document.getElementById("steps");
  var verdict = document.getElementById("verdict");
  function step(id, ok, text) {
    var li = document.createElement("li");
    li.id = "step-" + id;
    var info = ok === "info";
    li.className = ok === true ? "ok" : ok === false ? "bad" : info ? "info" : "unknown";
    li.dataset.ok = String(ok);
    li.textContent = (ok === true ? "✔ " : ok === false ? "✘ " : info ? "· " : "? ") + text;
    steps.appendChild(li);
  }
  function conclude(result, extra) {
    verdict.hidden = false;
    verdict.className = "outcome " + (result === "verified" ? "ok" : result === "partial" ? "partial" : "problem");
    verdict.dataset.result = result;
    verdict.id = "verdict";
    verdict.textContent = (MSG[result] || result) + (extra ? " " + extra : "");
    document.getElementById("check-progress").hidden = true;
  }

  function verify() {
    steps.textContent = "";
    verdict.hidden = true;
    document.getElementById("check-progress").hidden = false;
    var seq = parseInt(document.getElementById("seq").value, 10);
    var entry;
    try { entry = JSON.parse(document.getElementById("entry").value); } catch (e) { conclude("error", MSG.bad_json); return; }
    if (!entry || typeof entry !== "object") { conclude("error", MSG.bad_json); return; }
    if (isNaN(seq)) seq = entry.seq;
    if (entry.seq !== seq) step("seq", false, MSG.entry_seq);
    var outcome = { tampered: entry.seq !== seq, unchecked: false };
    Promise.all([getJson("/api/v1/records/checkpoint"), getJson("/api/v1/records/public-key")]).then(function (got) {
      var cp = got[0], key = got[1];
      if (seq >= cp.size) { conclude("partial", MSG.not_yet); return null; }
      step("checkpoint", "info", MSG.checkpoint + ": size " + cp.size + ", root " + cp.root.slice(0, 16) + "…, " + cp.timestamp);
      return getJson("/api/v1/records/" + seq + "/proof?size=" + cp.size).then(function (proof) {
        return leafHash(entry).then(function (leaf) {
          var leafOk = hex(leaf) === proof.leaf_hash;
          step("leaf", leafOk, leafOk ? MSG.leaf_ok : MSG.leaf_bad);
          if (!leafOk) outcome.tampered = true;
          return rootFromProof(proof.index, proof.size, unhex(proof.leaf_hash), proof.path);
        }).then(function (root) {
          var inclusionOk = root !== null && hex(root) === cp.root;
          step("inclusion", inclusionOk, inclusionOk ? MSG.inclusion_ok : MSG.inclusion_bad);
          if (!inclusionOk) outcome.tampered = true;
          var pub = unbase64(key.public_key);
          return sha256(pub).then(function (digest) {
            var keyOk = hex(digest).slice(0, 16) === cp.key_id && key.key_id === cp.key_id;
            step("key", keyOk, keyOk ? MSG.key_ok : MSG.key_bad);
            if (!keyOk) outcome.tampered = true;
            var message = enc.encode("cadre-log-v1\n" + cp.size + "\n" + cp.root + "\n" + cp.timestamp);
            return crypto.subtle.importKey("raw", pub, { name: "Ed25519" }, false, ["verify"]).then(function (k) {
              return crypto.subtle.verify({ name: "Ed25519" }, k, unbase64(cp.signature), message);
            }).then(function (valid) {
              step("signature", valid, valid ? MSG.sig_ok : MSG.sig_bad);
              if (!valid) outcome.tampered = true;
              return outcome.tampered ? null : checkWitnesses(seq, proof.leaf_hash, key, outcome);
            }, function () {
              step("signature", null, MSG.sig_unsupported);
              outcome.unchecked = true;
            });
          });
        });
      }).then(function () {
        conclude(outcome.tampered ? "tampered" : outcome.unchecked ? "partial" : "verified");
      });
    }).catch(function (error) { conclude("error", MSG.fetch_failed + " " + error.message); });
  }

  var match = /(?:^#|&)entry=([A-Za-z0-9_-]+)/.exec(location.hash);
  if (match) {
    try {
      var bytes = unbase64(match[1]);
      var text = new TextDecoder().decode(bytes);
      document.getElementById("entry").value = JSON.stringify(JSON.parse(text), null, 1);
    } catch (e) { /* leave the field for the visitor */ }
  }
  document.getElementById("check-form").addEventListener("submit", function (event) { event.preventDefault(); verify(); });
  if (match && document.getElementById("seq").value) verify();
})();
