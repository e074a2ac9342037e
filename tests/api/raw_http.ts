/**
 * HTTP/1.1 over a bare TCP connection, for what `fetch` will not send: a `Host` header of our
 * choosing (Deno's fetch always writes the URL's), or a body cut off before its length.
 * Needs `--allow-net`.
 *
 * @module
 */

import { scaled } from "../time_scale.ts";

/** An answer read by {@link rawRequest}. */
export interface RawAnswer {
  /** The status code. */
  readonly status: number;
  /** The headers, names lower case. */
  readonly headers: Headers;
  /** The body as text; empty for an event stream (whose headers are all that is read). */
  readonly body: string;
}

/** A request for {@link rawRequest}. */
export interface RawRequest {
  readonly method?: string;
  /** Path and query, as sent. */
  readonly path: string;
  /** Every header sent, `Host` included (none is added but `Connection: close`). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The index just past the blank line that ends the head of a message, or -1. */
function headEnd(bytes: Uint8Array): number {
  for (let i = 3; i < bytes.length; i++) {
    if (bytes[i - 3] === 13 && bytes[i - 2] === 10 && bytes[i - 1] === 13 && bytes[i] === 10) {
      return i + 1;
    }
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** The payload of a chunked body. */
function unchunk(bytes: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let at = 0;
  for (;;) {
    let eol = at;
    while (eol + 1 < bytes.length && !(bytes[eol] === 13 && bytes[eol + 1] === 10)) eol++;
    const size = parseInt(decoder.decode(bytes.subarray(at, eol)), 16);
    if (!(size > 0)) break;
    parts.push(bytes.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return parts.reduce(concat, new Uint8Array(0));
}

/**
 * Sends one request on a new connection to `127.0.0.1:port` and reads the answer (until the
 * server closes, as `Connection: close` asks). Fails after 10 s (scaled, tests/time_scale.ts).
 */
export async function rawRequest(port: number, request: RawRequest): Promise<RawAnswer> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => conn.close(), scaled(10_000));
  try {
    const body = request.body ?? "";
    const lines = [`${request.method ?? "GET"} ${request.path} HTTP/1.1`];
    for (const [name, value] of Object.entries(request.headers ?? {})) {
      lines.push(`${name}: ${value}`);
    }
    if (body !== "") lines.push(`Content-Length: ${encoder.encode(body).length}`);
    lines.push("Connection: close", "", "");
    await conn.write(concat(encoder.encode(lines.join("\r\n")), encoder.encode(body)));
    let bytes: Uint8Array = new Uint8Array(0);
    let end = -1;
    const buffer = new Uint8Array(16 * 1024);
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      bytes = concat(bytes, buffer.subarray(0, n));
      end = end >= 0 ? end : headEnd(bytes);
      // An event stream never ends: its head is enough.
      if (
        end >= 0 && /content-type: text\/event-stream/i.test(decoder.decode(bytes.subarray(0, end)))
      ) {
        break;
      }
    }
    if (end < 0) throw new Error(`no HTTP answer: ${JSON.stringify(decoder.decode(bytes))}`);
    const [statusLine, ...headerLines] = decoder.decode(bytes.subarray(0, end - 4)).split("\r\n");
    const headers = new Headers();
    for (const line of headerLines) {
      const colon = line.indexOf(":");
      headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
    const status = Number(statusLine.split(" ")[1]);
    if (headers.get("content-type")?.startsWith("text/event-stream")) {
      return { status, headers, body: "" };
    }
    const rest = bytes.subarray(end);
    const payload = headers.get("transfer-encoding")?.includes("chunked") ? unchunk(rest) : rest;
    return { status, headers, body: decoder.decode(payload) };
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // Closed by the timer already.
    }
  }
}

/**
 * Sends a POST whose body stops short, then hangs up: with `Content-Length: 1000` and 10
 * bytes, or chunked with one 10-byte chunk and no last chunk.
 */
export async function hangUpMidBody(
  port: number,
  path: string,
  framing: "length" | "chunked",
): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
      "Content-Type: application/json\r\n";
    await conn.write(encoder.encode(
      framing === "length"
        ? `${head}Content-Length: 1000\r\n\r\n{"force":t`
        : `${head}Transfer-Encoding: chunked\r\n\r\na\r\n{"force":t\r\n`,
    ));
    // Let the server start reading the body before the connection goes.
    await new Promise((resolve) => setTimeout(resolve, 100));
  } finally {
    conn.close();
  }
}
