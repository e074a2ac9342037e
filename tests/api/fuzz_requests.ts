/**
 * Random requests for the API fuzz test (`fuzz_test.ts`), made from the OpenAPI document the
 * server serves: an operation's path, query and header parameters and its JSON body, each
 * either valid by its schema or mutated (wrong types, out of range, unknown names, unicode,
 * huge values), and around them the things a browser or a stranger sends: wrong methods,
 * content types, `Origin` and `Host`. Deterministic for a seed; no I/O.
 *
 * @module
 */

import type { OpenApiDocument } from "../../src/api/openapi.ts";

/** A source of numbers in [0, 1). */
export type Random = () => number;

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function prng(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

function int(random: Random, low: number, high: number): number {
  return low + Math.floor(random() * (high - low + 1));
}

type Schema = Record<string, unknown>;

/** Strings that have broken parsers somewhere. */
const NASTY_STRINGS: readonly string[] = [
  "",
  " ",
  "-1",
  "0",
  "1.5",
  "1e400",
  "NaN",
  "Infinity",
  "9007199254740993",
  "99999999999999999999999999",
  "0x10",
  "null",
  "true",
  "[]",
  "{}",
  "💥",
  "é".repeat(300),
  "x".repeat(5000),
  "\u0000",
  "a\nb",
  "../../etc/passwd",
  "%",
  "%00",
  "%E0%A4%A",
  "<script>alert(1)</script>",
  "'; DROP TABLE runs; --",
  "WzE3NjcyMjU2MDAwMDAsIm1pYmMyeDFmNC05YTFjMDNlZSJd",
  "WyJ4Il0",
  "eyJhIjoxfQ",
];

/** JSON values of every type, for bodies. */
const NASTY_VALUES: readonly unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  2 ** 64,
  Number.MAX_SAFE_INTEGER + 2,
  [],
  [1, "a"],
  {},
  { nested: { deeper: [null] } },
  "yes",
  "x".repeat(3000),
  "💥",
];

/** A value its schema accepts (as far as the generator knows the keywords). */
export function validValue(random: Random, schema: Schema): unknown {
  if (Array.isArray(schema.enum)) return pick(random, schema.enum);
  switch (schema.type) {
    case "integer": {
      const low = typeof schema.minimum === "number" ? schema.minimum : 0;
      const high = typeof schema.maximum === "number" ? schema.maximum : 1000;
      // Mostly small values, sometimes the bounds themselves.
      const r = random();
      return r < 0.2 ? low : r < 0.3 ? high : int(random, low, Math.min(high, low + 100));
    }
    case "number":
      return random() * 100;
    case "boolean":
      return random() < 0.5;
    case "object": {
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      const out: Record<string, unknown> = {};
      for (const [name, prop] of Object.entries(props)) {
        if (random() < 0.7) out[name] = validValue(random, prop);
      }
      return out;
    }
    default:
      return pick(random, ["a", "quick", "x-1", "Zz_9"]);
  }
}

/** A parameter value as written in a query or header: valid, or one of the nasty strings. */
function paramValue(random: Random, schema: Schema): string {
  return random() < 0.55 ? String(validValue(random, schema)) : pick(random, NASTY_STRINGS);
}

/** A JSON body for `schema`: valid, with a wrong value or unknown field, or not an object. */
function bodyValue(random: Random, schema: Schema | null): unknown {
  const base = schema ? validValue(random, schema) as Record<string, unknown> : {};
  const r = random();
  if (r < 0.45) return base;
  if (r < 0.65) {
    const names = Object.keys((schema?.properties ?? {}) as Schema);
    const name = names.length > 0 && random() < 0.7 ? pick(random, names) : "unknown_field";
    return { ...base, [name]: pick(random, NASTY_VALUES) };
  }
  if (r < 0.75) {
    // Deep nesting.
    let v: unknown = 1;
    for (let i = 0; i < int(random, 10, 2000); i++) v = [v];
    return v;
  }
  return pick(random, NASTY_VALUES);
}

/** One generated request. */
export interface FuzzRequest {
  readonly method: string;
  /** Path and query, percent-encoded. */
  readonly path: string;
  readonly headers: Record<string, string>;
  /** The body; null for none. */
  readonly body: string | null;
  /** The `Host` to send over a bare connection, or null to let fetch send the URL's. */
  readonly host: string | null;
}

/** What the generator needs to know about the server under test. */
export interface FuzzTarget {
  readonly doc: OpenApiDocument;
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** The `--api-cors` origin, or null. */
  readonly cors: string | null;
  /** `Host` values the server must refuse, and ones it must accept. */
  readonly foreignHosts: readonly string[];
  readonly knownHosts: readonly string[];
  /** Path parameter values worth trying: ids that exist (and grow as runs start). */
  readonly ids: Record<string, string[]>;
}

const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"];
const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "application/vnd.petit+json",
  "text/plain",
  "text/plain;charset=UTF-8",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/xml",
  "",
];

/** A random request for one of the document's operations. */
export function randomRequest(random: Random, target: FuzzTarget): FuzzRequest {
  const operations = Object.entries(target.doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ path, method, op: op! }))
  );
  const { path: template, method: declared, op } = pick(random, operations);
  const method = random() < 0.85 ? declared.toUpperCase() : pick(random, METHODS);
  const params = op.parameters ?? [];
  let path = template;
  for (const p of params.filter((p) => p.in === "path")) {
    const known = target.ids[p.name] ?? [];
    const value = known.length > 0 && random() < 0.6
      ? pick(random, known)
      : pick(random, NASTY_STRINGS.filter((s) => s !== "")) ?? "x";
    path = path.replace(`{${p.name}}`, encodeURIComponent(value));
  }
  const query = new URLSearchParams();
  for (const p of params.filter((p) => p.in === "query")) {
    if (random() < 0.5) query.append(p.name, paramValue(random, p.schema));
    if (random() < 0.05) query.append(p.name, paramValue(random, p.schema)); // twice
  }
  if (random() < 0.15) query.append(pick(random, ["x", "lmit", "Limit", "é"]), "1");
  const headers: Record<string, string> = {};
  for (const p of params.filter((p) => p.in === "header")) {
    if (random() < 0.4) {
      const value = paramValue(random, p.schema);
      // fetch refuses control characters and non-Latin-1 text in headers: keep it sendable.
      if (/^[\x20-\x7e]*$/.test(value)) headers[p.name] = value;
    }
  }
  if (random() < 0.2) {
    headers.accept = pick(random, ["application/json", "text/plain", "*/*", "text/html", "x/y"]);
  }
  const r = random();
  if (r < 0.15) headers.origin = pick(random, ["http://evil.test", "null", "https://x.example:1"]);
  else if (r < 0.3) headers.origin = target.url;
  else if (r < 0.35 && target.cors) headers.origin = target.cors;
  let body: string | null = null;
  if (method !== "GET" && method !== "HEAD" && (op.requestBody || random() < 0.3)) {
    const schema = op.requestBody?.content["application/json"]?.schema ?? null;
    const s = random();
    body = s < 0.1 ? "" : s < 0.2 ? "{not json" : JSON.stringify(bodyValue(random, schema));
    if (random() < 0.03) body = JSON.stringify({ force: true, pad: "x".repeat(70 * 1024) });
    const type = random() < 0.6 ? "application/json" : pick(random, CONTENT_TYPES);
    if (type !== "") headers["content-type"] = type;
  }
  const host = random() < 0.12
    ? pick(random, random() < 0.5 ? target.foreignHosts : target.knownHosts)
    : null;
  const search = query.toString();
  return { method, path: search ? `${path}?${search}` : path, headers, body, host };
}
