import assert from "node:assert/strict";
import { hostOfAuthority, isHostName, isIpAddress } from "../../src/api/hosts.ts";

Deno.test("hostOfAuthority: the host name of a Host header, or null for anything else", () => {
  const cases: [string, string | null][] = [
    ["localhost", "localhost"],
    ["LocalHost.:8565", "localhost"],
    ["127.0.0.1:8565", "127.0.0.1"],
    ["[::1]:8565", "::1"],
    ["[::1]", "::1"],
    ["pi.local", "pi.local"],
    ["xn--bcher-kva.example", "xn--bcher-kva.example"],
    ["pi.local:65536", null],
    ["pi.local:", null],
    ["::1", null],
    ["a b", null],
    ["evil.test/x", null],
    ["user@localhost", null],
    ["ü.test", null],
    ["", null],
  ];
  for (const [authority, host] of cases) assert.equal(hostOfAuthority(authority), host, authority);
});

Deno.test("isIpAddress and isHostName: addresses, names, and what is neither", () => {
  for (const a of ["10.1.2.3", "::1", "[fe80::1]", "::ffff:127.0.0.1"]) {
    assert.equal(isIpAddress(a), true, a);
  }
  for (const a of ["1.2.3.4.nip.io", "localhost", "300.1.1.1", "1.2.3"]) {
    assert.equal(isIpAddress(a), false, a);
  }
  for (const n of ["pi.local", "nas", "my-host.lan.", "10.0.0.7", "[::1]"]) {
    assert.equal(isHostName(n), true, n);
  }
  for (const n of ["http://pi.local", "pi.local:8565", "pi local", "", "pi..local", "a/b"]) {
    assert.equal(isHostName(n), false, n);
  }
});
