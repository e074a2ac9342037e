/**
 * HTTPS for the API: {@link loadTls}, {@link startApi} with a certificate, the `--remote`
 * client's CA file, and `pt run --api-tls-cert/--api-tls-key` as a real subprocess checked
 * by `pt status --remote https://… --ca-cert`. The CA and the certificates are made here by
 * openssl; without it the tests are skipped.
 */

import assert from "node:assert/strict";
import {
  ApiClient,
  ApiTlsError,
  ApiUnreachableError,
  remoteExitCode,
} from "../../src/api/client.ts";
import { ApiStartError, loadTls, startApi } from "../../src/api/server.ts";
import { type Sandbox, waitUntil, withSandbox } from "../scenarios/helpers.ts";
import { startHarness } from "./helpers.ts";

/** Whether `openssl` can be run (found on PATH). */
const HAS_OPENSSL: boolean = (() => {
  try {
    return new Deno.Command("openssl", { args: ["version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();

/** PEM files made by {@link makePki}, by path. */
interface Pki {
  /** The CA certificate that signed `cert`. */
  readonly ca: string;
  /** The server's certificate (localhost, 127.0.0.1) and its key. */
  readonly cert: string;
  readonly key: string;
  /** The CA's key: a real key, but not `cert`'s. */
  readonly otherKey: string;
  /** `key`, encrypted with a passphrase. */
  readonly encryptedKey: string;
  /** Self-signed as `openssl req -x509` makes it by default: a CA certificate (CA:TRUE). */
  readonly selfSigned: string;
  readonly selfSignedKey: string;
  /** Self-signed with CA:FALSE: trusted as itself, it can serve. */
  readonly selfLeaf: string;
  readonly selfLeafKey: string;
}

/** Runs `openssl` in `dir`; `command` is split on spaces (no argument holds one). */
async function openssl(dir: string, command: string): Promise<void> {
  const args = command.trim().split(/\s+/);
  const out = await new Deno.Command("openssl", { args, cwd: dir, stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`openssl ${command}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** A new P-256 key, unencrypted (`-nodes`), as in the README's example. */
const EC = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
const LOCAL_NAMES = "subjectAltName=DNS:localhost,IP:127.0.0.1";

/** A CA, a server certificate it signed, and the odd files the error tests need. */
async function makePki(dir: string): Promise<Pki> {
  const at = (name: string) => `${dir}/${name}`;
  await Promise.all([
    openssl(dir, `req -x509 ${EC} -days 1 -subj /CN=petit-test-ca -keyout ca.key -out ca.pem`),
    openssl(dir, `req -new ${EC} -subj /CN=localhost -keyout server.key -out server.csr`),
    openssl(
      dir,
      `req -x509 ${EC} -days 1 -subj /CN=localhost -addext ${LOCAL_NAMES} ` +
        "-keyout self.key -out self.pem",
    ),
    openssl(
      dir,
      `req -x509 ${EC} -days 1 -subj /CN=localhost -addext ${LOCAL_NAMES} ` +
        "-addext basicConstraints=critical,CA:FALSE -keyout leaf.key -out leaf.pem",
    ),
  ]);
  await Deno.writeTextFile(at("server.ext"), `${LOCAL_NAMES}\nbasicConstraints=CA:FALSE\n`);
  await Promise.all([
    openssl(
      dir,
      "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 1 -days 1 " +
        "-extfile server.ext -out server.pem",
    ),
    openssl(dir, "pkey -in server.key -aes256 -passout pass:x -out server.enc.key"),
  ]);
  return {
    ca: at("ca.pem"),
    cert: at("server.pem"),
    key: at("server.key"),
    otherKey: at("ca.key"),
    encryptedKey: at("server.enc.key"),
    selfSigned: at("self.pem"),
    selfSignedKey: at("self.key"),
    selfLeaf: at("leaf.pem"),
    selfLeafKey: at("leaf.key"),
  };
}

/** Runs `fn` with certificates in a temp folder that is removed however `fn` ends. */
async function withPki(fn: (pki: Pki, dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "petit-tls-" });
  try {
    await fn(await makePki(dir), dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Asserts that `p` rejects with an {@link ApiStartError} whose message matches `re`. */
async function rejectsStart(p: Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ApiStartError, String(err));
    assert.match(err.message, re);
    return true;
  });
}

Deno.test({
  name: "loadTls: both or neither, each file read and checked, the path in every message",
  ignore: !HAS_OPENSSL,
  fn: () =>
    withPki(async (pki, dir) => {
      assert.equal(await loadTls({}), null);
      const pair = await loadTls({ cert: pki.cert, key: pki.key });
      assert.ok(pair);
      assert.equal(pair.cert, await Deno.readTextFile(pki.cert));
      assert.equal(pair.key, await Deno.readTextFile(pki.key));

      const q = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      await rejectsStart(
        loadTls({ cert: pki.cert }),
        new RegExp(`certificate ${q(pki.cert)} has no key.*--api-tls-key`),
      );
      await rejectsStart(
        loadTls({ key: pki.key }),
        new RegExp(`key ${q(pki.key)} has no certificate.*--api-tls-cert`),
      );
      await rejectsStart(
        loadTls({ cert: `${dir}/missing.pem`, key: pki.key }),
        new RegExp(`^TLS certificate not found: ${q(dir)}/missing\\.pem$`),
      );
      await rejectsStart(
        loadTls({ cert: pki.cert, key: dir }),
        new RegExp(`^cannot read the TLS key ${q(dir)}: `),
      );
      await rejectsStart(
        loadTls({ cert: pki.key, key: pki.cert }),
        new RegExp(`certificate ${q(pki.key)} is not a PEM certificate`),
      );
      await rejectsStart(
        loadTls({ cert: pki.cert, key: pki.ca }),
        new RegExp(`key ${q(pki.ca)} is not a PEM private key`),
      );
      await rejectsStart(
        loadTls({ cert: pki.cert, key: pki.encryptedKey }),
        new RegExp(`key ${q(pki.encryptedKey)} is encrypted`),
      );
      await rejectsStart(
        loadTls({ cert: pki.cert, key: pki.otherKey }),
        new RegExp(
          `certificate ${q(pki.cert)} with the key ${q(pki.otherKey)}: ` +
            "the key does not belong to the certificate",
        ),
      );
      // Never the key's content in a message.
      const secret = (await Deno.readTextFile(pki.otherKey)).split("\n")[1];
      const err = await loadTls({ cert: pki.cert, key: pki.otherKey }).catch((e) => e);
      assert.ok(!String(err.message).includes(secret));
    }),
});

Deno.test({
  name: "startApi with tls: https URL; ApiClient trusts a CA file, else says how to",
  ignore: !HAS_OPENSSL,
  fn: () =>
    withPki(async (pki, dir) => {
      const h = await startHarness();
      const base = { scheduler: h.scheduler, engine: h.engine, token: null, insecure: false };
      const api = await startApi({
        ...base,
        host: "127.0.0.1",
        port: 0,
        cors: null,
        tls: await loadTls({ cert: pki.cert, key: pki.key }),
      });
      const clients: ApiClient[] = [];
      const client = (url: string, caCertFile: string | null) => {
        const c = new ApiClient(url, { caCertFile, token: null });
        clients.push(c);
        return c;
      };
      try {
        assert.match(api.url, /^https:\/\/127\.0\.0\.1:\d+$/);
        const http = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(pki.ca)] });
        try {
          const res = await fetch(`${api.url}/api/health`, { client: http });
          assert.equal(res.status, 200);
          assert.equal((await res.json()).status, "ok");
        } finally {
          http.close();
        }
        // The certificate names localhost too.
        const byName = api.url.replace("127.0.0.1", "localhost");
        assert.equal((await client(byName, pki.ca).health()).status, "ok");
        assert.equal((await client(api.url, pki.ca).health()).status, "ok");

        const untrusted = await client(api.url, null).health().catch((e) => e);
        assert.ok(untrusted instanceof ApiTlsError, String(untrusted));
        assert.equal(untrusted.code, "untrusted");
        assert.match(
          untrusted.message,
          /^the Petit API at https:\/\/127\.0\.0\.1:\d+ presented a certificate this client does not trust \(UnknownIssuer\): pass --ca-cert FILE/,
        );
        assert.equal(remoteExitCode(untrusted), 2);
        // Another CA does not help.
        const wrongCa = await client(api.url, pki.selfSigned).health().catch((e) => e);
        assert.ok(wrongCa instanceof ApiTlsError && wrongCa.code === "untrusted");

        const plain = await client(api.url.replace("https:", "http:"), null).health()
          .catch((e) => e);
        assert.ok(plain instanceof ApiUnreachableError, String(plain));
        assert.match(plain.message, /serving HTTPS: try an https:\/\/ URL/);
        assert.equal(remoteExitCode(plain), 1);

        // The CA file is checked when the client is made, whatever the URL.
        const corrupt = `${dir}/corrupt.pem`;
        await Deno.writeTextFile(
          corrupt,
          "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
        );
        const badFiles: [string, RegExp][] = [
          [`${dir}/nope.pem`, /: file not found$/],
          [pki.key, /is not PEM/],
          [corrupt, /is not usable: /],
        ];
        for (const [file, re] of badFiles) {
          assert.throws(() => client(api.url, file), (e: unknown) => {
            assert.ok(e instanceof ApiTlsError && e.code === "ca_cert", String(e));
            assert.ok(e.message.includes(file), e.message);
            assert.match(e.message, re);
            return true;
          });
        }
      } finally {
        for (const c of clients) c.close();
        await api.close();
        await h.close();
      }
    }),
});

Deno.test({
  name: "ApiClient: a self-signed CA certificate as a server's is refused, with the fix",
  ignore: !HAS_OPENSSL,
  fn: () =>
    withPki(async (pki) => {
      const h = await startHarness();
      const base = { scheduler: h.scheduler, engine: h.engine, token: null, insecure: false };
      const start = (cert: string, key: string) =>
        loadTls({ cert, key }).then((tls) =>
          startApi({ ...base, host: "127.0.0.1", port: 0, cors: null, tls })
        );
      // openssl req -x509 makes a CA certificate, which rustls (so Deno) will not accept as
      // a server's even when told to trust it; curl would.
      const caAsServer = await start(pki.selfSigned, pki.selfSignedKey);
      const leaf = await start(pki.selfLeaf, pki.selfLeafKey);
      const refused = new ApiClient(caAsServer.url, { caCertFile: pki.selfSigned });
      const trusted = new ApiClient(leaf.url, { caCertFile: pki.selfLeaf });
      try {
        const err = await refused.health().catch((e) => e);
        assert.ok(err instanceof ApiTlsError, String(err));
        assert.match(err.message, /CaUsedAsEndEntity/);
        assert.match(err.message, /basicConstraints=critical,CA:FALSE/);
        assert.equal((await trusted.health()).status, "ok");
      } finally {
        refused.close();
        trusted.close();
        await caAsServer.close();
        await leaf.close();
        await h.close();
      }
    }),
});

const HELLO_JOB = 'id: hello\ntasks:\n  - id: a\n    command: "true"\n';

/** Starts `pt run` with the API on 127.0.0.1, port 0, and waits for the URL it prints. */
async function serve(
  sb: Sandbox,
  extra: string[],
  env: Record<string, string> = {},
): Promise<string> {
  const args = ["run", sb.jobs, "--db", sb.db, "--no-watch", "--api-host", "127.0.0.1"];
  const pt = sb.pt([...args, "--api-port", "0", ...extra], env);
  const m = await waitUntil(`the URL on stdout\n--- stderr ---\n${pt.stderr}`, () => {
    if (pt.done) throw new Error(`pt run exited:\n${pt.stderr}`);
    return /^(https?:\/\/\S+)$/m.exec(pt.stdout);
  }, 30_000);
  return m[1];
}

Deno.test({
  name: "pt run --api-tls-cert/--api-tls-key: serves HTTPS; pt status --remote --ca-cert",
  ignore: !HAS_OPENSSL,
  fn: () =>
    withPki((pki) =>
      withSandbox(async (sb) => {
        await sb.job("hello", HELLO_JOB);
        const token = { PETIT_API_TOKEN: "tls-tok" };
        const url = await serve(sb, ["--api-tls-cert", pki.cert, "--api-tls-key", pki.key], token);
        assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);

        const http = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(pki.ca)] });
        try {
          const health = await fetch(`${url}/api/health`, { client: http });
          assert.equal(health.status, 200);
          assert.equal((await health.json()).status, "ok");
          // The token is still required over TLS.
          const jobs = await fetch(`${url}/api/jobs`, { client: http });
          assert.equal(jobs.status, 401);
          await jobs.body?.cancel();
        } finally {
          http.close();
        }

        const [withCa, fromEnv, withoutCa, triggered] = await Promise.all([
          sb.cli(["status", "--remote", url, "--ca-cert", pki.ca], token),
          sb.cli(["status", "--remote", url, "--json"], { ...token, PETIT_CA_CERT: pki.ca }),
          sb.cli(["status", "--remote", url], token),
          sb.cli(
            ["trigger", sb.jobs, "hello", "--remote", url, "--ca-cert", pki.ca, "--wait"],
            token,
          ),
        ]);
        assert.equal(withCa.code, 0, withCa.stderr);
        assert.match(withCa.stdout, /^scheduler\s+running \(https:\/\/127\.0\.0\.1:\d+\)$/m);
        assert.match(withCa.stdout, /^hello\s+yes/m);
        assert.equal(fromEnv.code, 0, fromEnv.stderr);
        assert.equal(JSON.parse(fromEnv.stdout).scheduler.state, "running");
        assert.equal(triggered.code, 0, triggered.stderr);
        assert.match(triggered.stdout, /run \S+ completed/);

        assert.equal(withoutCa.code, 2, withoutCa.stderr);
        assert.equal(withoutCa.stdout, "");
        assert.match(
          withoutCa.stderr,
          /^error: the Petit API at https:\/\/127\.0\.0\.1:\d+ presented a certificate this client does not trust \(UnknownIssuer\): pass --ca-cert FILE \(or set PETIT_CA_CERT\)/,
        );
        assert.equal(withoutCa.stderr.trim().split("\n").length, 1, withoutCa.stderr);

        const badCa = await sb.cli(["status", "--remote", url, "--ca-cert", pki.key], token);
        assert.equal(badCa.code, 2);
        assert.equal(
          badCa.stderr.trim(),
          `error: the CA certificate ${pki.key} (--ca-cert or PETIT_CA_CERT) is not PEM ` +
            "(expected a -----BEGIN CERTIFICATE----- block)",
        );
      })
    ),
});

Deno.test({
  name: "pt run: TLS settings wrong are usage errors (exit 2) before anything starts",
  ignore: !HAS_OPENSSL,
  fn: () =>
    withPki((pki, dir) =>
      withSandbox(async (sb) => {
        await sb.job("hello", HELLO_JOB);
        const config = async (name: string, toml: string) => {
          await Deno.writeTextFile(`${sb.dir}/${name}.toml`, toml);
          return ["--config", `${sb.dir}/${name}.toml`];
        };
        const cases: [string, string[], Record<string, string>, RegExp][] = [
          [
            "cert flag only",
            ["--api-tls-cert", pki.cert],
            {},
            /has no key: HTTPS needs both, set --api-tls-key FILE \(or PETIT_API_TLS_KEY, \[api\] tls_key\)/,
          ],
          [
            "key variable only",
            [],
            { PETIT_API_TLS_KEY: pki.key },
            /the TLS key \S+ has no certificate: .*--api-tls-cert FILE/,
          ],
          [
            "cert in the config file only",
            await config("cert_only", `[api]\ntls_cert = "${pki.cert}"\n`),
            {},
            /has no key: .*\[api\] tls_key/,
          ],
          [
            "config pair, wrong key",
            await config(
              "mismatch",
              `[api]\ntls_cert = "${pki.cert}"\ntls_key = "${pki.otherKey}"\n`,
            ),
            {},
            /cannot use the TLS certificate \S+ with the key \S+: the key does not belong/,
          ],
          [
            "a flag over the config file",
            [
              ...await config("flag_wins", `[api]\ntls_cert = "${pki.cert}"\n`),
              "--api-tls-cert",
              `${dir}/missing.pem`,
              "--api-tls-key",
              pki.key,
            ],
            {},
            /^error: TLS certificate not found: \S+\/missing\.pem$/m,
          ],
          [
            "an empty variable is unset",
            ["--api-tls-cert", pki.cert],
            { PETIT_API_TLS_KEY: "" },
            /has no key/,
          ],
          [
            "TLS does not replace the token",
            ["--api-host", "0.0.0.0", "--api-tls-cert", pki.cert, "--api-tls-key", pki.key],
            {},
            /refusing to serve the API on 0\.0\.0\.0.*without a token/,
          ],
        ];
        const results = await Promise.all(
          cases.map(([, extra], i) =>
            sb.cli([
              "run",
              sb.jobs,
              "--db",
              `${sb.dir}/case${i}.db`,
              "--api-port",
              "0",
              "--no-watch",
              ...extra,
            ], cases[i][2])
          ),
        );
        for (const [i, [name, , , re]] of cases.entries()) {
          const r = results[i];
          assert.equal(r.code, 2, `${name}: ${r.stderr}`);
          assert.match(r.stderr, re, name);
          assert.doesNotMatch(r.stderr, /\n\s+at /, name); // no stack trace
          assert.equal(r.stdout, "", name);
          // Refused before the database was opened.
          await assert.rejects(Deno.stat(`${sb.dir}/case${i}.db`), Deno.errors.NotFound, name);
        }
      })
    ),
});

Deno.test({
  name: "requestGuard over HTTPS, HTTP/1.1 and HTTP/2 (no Host header): own origin only",
  ignore: !HAS_OPENSSL,
  fn: () =>
    withPki(async (pki) => {
      const h = await startHarness();
      const api = await startApi({
        scheduler: h.scheduler,
        engine: h.engine,
        host: "127.0.0.1",
        port: 0,
        token: null,
        insecure: false,
        cors: null,
        tls: await loadTls({ cert: pki.cert, key: pki.key }),
      });
      const caCerts = [await Deno.readTextFile(pki.ca)];
      try {
        for (const http2 of [false, true]) {
          const http = Deno.createHttpClient({ caCerts, http2, http1: !http2 });
          try {
            const base = `https://localhost:${api.port}`;
            for (const [origin, status] of [[base, 200], ["https://evil.test", 403]] as const) {
              const res = await fetch(`${base}/api/scheduler/pause`, {
                client: http,
                method: "POST",
                headers: { origin },
              });
              await res.body?.cancel();
              assert.equal(res.status, status, `HTTP/${http2 ? 2 : 1} ${origin}`);
            }
          } finally {
            http.close();
          }
        }
      } finally {
        await api.close();
        await h.close();
      }
    }),
});
