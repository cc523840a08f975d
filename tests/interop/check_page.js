// Runs gateway/web/static/check.js in Node (its WebCrypto, fetch, TextEncoder) with a minimal stand-in
// for the page's DOM, against a log server; prints {"result", "steps": {id: [ok, text]}} as JSON.
//
//   node tests/interop/check_page.js <check.js> <base URL> <seq> <entry JSON> <messages JSON>
"use strict";
const fs = require("fs");
const [script, base, seq, entryJson, messagesJson] = process.argv.slice(2);

function element(id) {
  return { id: id, hidden: false, value: "", textContent: "", className: "", dataset: {}, children: [],
           appendChild(child) { this.children.push(child); },
           addEventListener(kind, handler) { this.handler = handler; } };
}
const elements = {};
["verdict", "check-progress", "seq", "entry", "check-form"].forEach((id) => { elements[id] = element(id); });
const steps = element("steps");
Object.defineProperty(steps, "textContent", { set() { steps.children = []; }, get() { return ""; } });
elements.steps = steps;
elements["check-messages"] = Object.assign(element("check-messages"), { textContent: messagesJson });
elements.seq.value = seq;
elements.entry.value = entryJson;

global.document = {
  getElementById: (id) => elements[id],
  createElement: () => element(""),
};
global.location = { hash: "" };
const realFetch = global.fetch;
global.fetch = (url, options) => realFetch(base + url, options);

new Function(fs.readFileSync(script, "utf8"))();
elements["check-form"].handler({ preventDefault() {} });

const started = Date.now();
(function wait() {
  const verdict = elements.verdict;
  if (verdict.dataset.result) {
    const out = {};
    steps.children.forEach((li) => { out[li.id] = [li.dataset.ok, li.textContent]; });
    console.log(JSON.stringify({ result: verdict.dataset.result, text: verdict.textContent, steps: out }));
    return;
  }
  if (Date.now() - started > 20000) { console.log(JSON.stringify({ result: "timeout" })); return; }
  setTimeout(wait, 50);
})();
