/**
 * Bare REST calls to a fake cluster (`../fake_api_server.ts`) for its tests: what the real
 * server answers, status and JSON, without Petit's client in between. Needs --allow-net.
 *
 * @module
 */

/** The fields of an answer that the tests read. */
export interface Answer {
  kind?: string;
  type?: string;
  status?: string;
  reason?: string;
  message: string;
  stringData?: unknown;
  data?: Record<string, string>;
  details?: unknown;
  metadata: {
    name: string;
    uid: string;
    resourceVersion: string;
    creationTimestamp: string;
    labels?: Record<string, string>;
    ownerReferences?: unknown[];
  };
  items: Answer[];
}

/** Where a fake cluster answers and how to be let in. */
export interface Endpoint {
  readonly url: string;
  readonly caCert: string;
  readonly token: string;
}

/** One call with the cluster's bearer token: the status and the JSON answer. */
export async function rest(
  fake: Endpoint,
  method: string,
  path: string,
  body?: unknown,
  contentType = "application/json",
): Promise<{ status: number; json: Answer }> {
  const http = Deno.createHttpClient({ caCerts: [fake.caCert] });
  try {
    const res = await fetch(`${fake.url}${path}`, {
      method,
      client: http,
      headers: { Authorization: `Bearer ${fake.token}`, "Content-Type": contentType },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() };
  } finally {
    http.close();
  }
}

/** Polls `cond` every 10 ms until it holds; throws after `ms`. */
export async function until(
  what: string,
  cond: () => boolean | Promise<boolean>,
  ms = 3000,
): Promise<void> {
  const end = Date.now() + ms;
  while (!await cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
