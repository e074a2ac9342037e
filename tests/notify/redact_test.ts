import assert from "node:assert/strict";
import { describeTarget, MASK, maskSecrets, redactUrl } from "../../src/notify/redact.ts";

Deno.test("redactUrl(): drops user, password and fragment; masks query values and token segments", () => {
  const { target, secrets } = redactUrl(
    "https://me:p%40ss@hooks.example.com:8443/services/T0/B1/XXXXXXXXXXXXXXXX9999?token=abc%2Fdef&v=2#x",
  );
  assert.equal(target, `https://hooks.example.com:8443/services/T0/B1/${MASK}?token=***&v=***`);
  for (const s of ["me", "p%40ss", "p@ss", "XXXXXXXXXXXXXXXX9999", "abc%2Fdef", "abc/def", "2"]) {
    assert.ok(secrets.includes(s), s);
  }
});

Deno.test("redactUrl(): a plain URL is shown as it is", () => {
  assert.equal(
    redactUrl("http://192.168.1.5/hooks/petit").target,
    "http://192.168.1.5/hooks/petit",
  );
  assert.equal(redactUrl("https://ntfy.sh/petit-alerts").target, "https://ntfy.sh/petit-alerts");
  // A long topic with a digit reads as a secret one.
  assert.equal(redactUrl("https://ntfy.sh/petit-alerts-8f3k2j").target, "https://ntfy.sh/***");
});

Deno.test("describeTarget(): a command is its program, never its arguments", () => {
  const d = describeTarget({ channel: "command", argv: ["mail-alert", "--token", "t0ps3cret"] });
  assert.deepEqual(d, { target: "mail-alert", secrets: [] });
});

Deno.test("maskSecrets(): replaces every secret, longest first; short ones are left", () => {
  assert.equal(
    maskSecrets("error sending request for url (http://h/x?token=abcdef&t=abcdefgh): refused", [
      "abcdef",
      "abcdefgh",
      "x",
    ]),
    "error sending request for url (http://h/x?token=***&t=***): refused",
  );
});
