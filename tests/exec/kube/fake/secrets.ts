/**
 * The Secrets of the fake API server (`../fake_api_server.ts`) as the real API server keeps
 * them: created with `stringData` folded into base64 `data` and checked as the real one checks
 * them, changed by JSON merge patch (RFC 7386), deleted; and the garbage collector's part (a
 * Secret whose owning Jobs are all gone goes too). The kubelet reads them in
 * `container_env.ts`. No permissions needed.
 *
 * @module
 */

import { ApiFailure, type Meta, notFound, now, randomSuffix, type SecretObj } from "./objects.ts";
import { configKeyErrors, invalid, keyErrors, labelErrors, subdomainErrors } from "./validation.ts";

/** What the store needs from the control plane. */
export interface SecretHost {
  /** The next resourceVersion of the whole store. */
  nextVersion(): string;
  /** Runs `fn` after a simulated step. */
  later(fn: () => void): void;
  /** A Job with this uid exists (the garbage collector's question). */
  jobExists(uid: string): boolean;
}

/**
 * The real API's limit on the bytes of a Secret's data.
 *
 * @default {1048576}
 */
const MAX_SECRET_BYTES = 1024 * 1024;

/** The one patch type the fake applies; the real server takes three more. */
const MERGE_PATCH = "application/merge-patch+json";

const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const key = (ns: string, name: string) => `${ns}/${name}`;
const encoder = new TextEncoder();

/** Text as base64 (of its UTF-8 bytes), as the API stores `stringData`. */
export function toBase64(text: string): string {
  return btoa(String.fromCharCode(...encoder.encode(text)));
}

/** The store of Secrets, by `namespace/name`. */
export class SecretStore {
  /** Secrets by `namespace/name`. */
  readonly secrets: Map<string, SecretObj> = new Map();
  readonly #host: SecretHost;

  /** A store working for `host`. */
  constructor(host: SecretHost) {
    this.#host = host;
  }

  /** The Secret, or undefined. */
  find(ns: string, name: string): SecretObj | undefined {
    return this.secrets.get(key(ns, name));
  }

  /** The Secret; 404 `secrets "x" not found`. */
  get(ns: string, name: string): SecretObj {
    const s = this.find(ns, name);
    if (!s) throw notFound("secrets", name);
    return s;
  }

  /** POST: checked as the real API does (422, 400), 409 when the name is taken. */
  create(ns: string, body: Record<string, unknown> | null): SecretObj {
    const b = (body ?? {}) as { kind?: unknown; metadata?: Partial<Meta> };
    if (b.kind !== undefined && b.kind !== "Secret") {
      throw new ApiFailure(400, "BadRequest", `kind ${b.kind} does not match Secret`);
    }
    const m = b.metadata ?? {};
    if (m.namespace !== undefined && m.namespace !== ns) {
      throw new ApiFailure(
        400,
        "BadRequest",
        "the namespace of the provided object does not match the namespace sent on the request",
      );
    }
    const name = m.name || (m.generateName ? m.generateName + randomSuffix() : "");
    if (!name) {
      throw invalid("Secret", "", "", [
        "metadata.name: Required value: name or generateName is required",
      ]);
    }
    const secret = decode(body ?? {}, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        ...pick(m),
        name,
        ...(m.generateName ? { generateName: m.generateName } : {}),
        namespace: ns,
        uid: crypto.randomUUID(),
        resourceVersion: "",
        creationTimestamp: now(),
      },
      type: "Opaque",
    });
    check(secret, null);
    if (this.secrets.has(key(ns, name))) {
      throw new ApiFailure(409, "AlreadyExists", `secrets "${name}" already exists`, {
        name,
        kind: "secrets",
      });
    }
    secret.metadata.resourceVersion = this.#host.nextVersion();
    this.secrets.set(key(ns, name), secret);
    this.#collectSoon(secret);
    return secret;
  }

  /** PATCH with a JSON merge patch; 415 for other patch types (the fake applies no others). */
  patch(ns: string, name: string, contentType: string, body: unknown): SecretObj {
    const old = this.get(ns, name);
    if (contentType.split(";")[0].trim().toLowerCase() !== MERGE_PATCH) {
      throw new ApiFailure(
        415,
        "UnsupportedMediaType",
        `the body of the request was in an unknown format - accepted media types include: ${MERGE_PATCH}`,
      );
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new ApiFailure(400, "BadRequest", "a merge patch must be a JSON object");
    }
    const patched = mergePatch(structuredClone(old), body) as Record<string, unknown>;
    const m = (patched.metadata ?? {}) as Partial<Meta>;
    if (m.name !== name) {
      throw new ApiFailure(
        400,
        "BadRequest",
        `the name of the object (${m.name}) does not match the name on the URL (${name})`,
      );
    }
    if (m.namespace !== ns) {
      throw new ApiFailure(
        400,
        "BadRequest",
        "the namespace of the provided object does not match the namespace sent on the request",
      );
    }
    // A resourceVersion in the patch is a precondition (optimistic concurrency).
    if (m.resourceVersion !== old.metadata.resourceVersion) {
      throw new ApiFailure(
        409,
        "Conflict",
        `Operation cannot be fulfilled on secrets "${name}": the object has been modified; ` +
          "please apply your changes to the latest version and try again",
        { name, kind: "secrets" },
      );
    }
    const next = decode(patched, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        ...pick(m),
        ...(m.generateName ? { generateName: m.generateName } : {}),
        name,
        namespace: ns,
        uid: String(m.uid ?? ""),
        resourceVersion: old.metadata.resourceVersion,
        creationTimestamp: old.metadata.creationTimestamp,
      },
      type: "Opaque",
    });
    check(next, old);
    if (JSON.stringify(next) === JSON.stringify(old)) return old;
    next.metadata.resourceVersion = this.#host.nextVersion();
    this.secrets.set(key(ns, name), next);
    this.#collectSoon(next);
    return next;
  }

  /** DELETE: gone at once (a Secret has no graceful deletion); 404 when missing. */
  delete(ns: string, name: string): SecretObj {
    const s = this.get(ns, name);
    this.secrets.delete(key(ns, name));
    return s;
  }

  /** An owner deleted with the Orphan policy: its dependents lose their reference to it. */
  orphan(ownerUid: string): void {
    for (const s of this.secrets.values()) {
      const refs = s.metadata.ownerReferences;
      if (!refs?.some((r) => r.uid === ownerUid)) continue;
      const left = refs.filter((r) => r.uid !== ownerUid);
      if (left.length > 0) s.metadata.ownerReferences = left;
      else delete s.metadata.ownerReferences;
      s.metadata.resourceVersion = this.#host.nextVersion();
    }
  }

  /**
   * The garbage collector: a Secret whose owners are all absent Jobs is deleted; one with
   * some owners left loses the references to the absent ones. Owners of other kinds are
   * not known here and count as present.
   */
  collect(): void {
    for (const [k, s] of this.secrets) {
      const refs = s.metadata.ownerReferences ?? [];
      const absent = refs.filter((r) =>
        r.apiVersion === "batch/v1" && r.kind === "Job" && !this.#host.jobExists(r.uid)
      );
      if (absent.length === 0) continue;
      if (absent.length === refs.length) {
        this.secrets.delete(k);
        continue;
      }
      s.metadata.ownerReferences = refs.filter((r) => !absent.includes(r));
      s.metadata.resourceVersion = this.#host.nextVersion();
    }
  }

  /** Collects after a step, as the real collector acts a moment after a change. */
  collectSoon(): void {
    this.#host.later(() => this.collect());
  }

  #collectSoon(s: SecretObj): void {
    if (s.metadata.ownerReferences?.length) this.collectSoon();
  }
}

/** The metadata fields a client may set. */
function pick(m: Partial<Meta>): Partial<Meta> {
  const { labels, annotations, ownerReferences, finalizers } = m;
  return {
    ...(labels ? { labels } : {}),
    ...(annotations ? { annotations } : {}),
    ...(ownerReferences ? { ownerReferences } : {}),
    ...(finalizers ? { finalizers } : {}),
  };
}

/**
 * The Secret a body decodes to: `type` (default Opaque), `immutable`, base64 `data` with
 * `stringData` folded in (it wins, as in the real conversion). 400 for what the real decoder
 * refuses.
 */
function decode(body: Record<string, unknown>, base: SecretObj): SecretObj {
  const refuse = (why: string) =>
    new ApiFailure(
      400,
      "BadRequest",
      `Secret in version "v1" cannot be handled as a Secret: ${why}`,
    );
  const data: Record<string, string> = {};
  for (const [field, values] of [["data", body.data], ["stringData", body.stringData]] as const) {
    if (values === undefined || values === null) continue;
    if (typeof values !== "object" || Array.isArray(values)) {
      throw refuse(`json: cannot unmarshal into Go struct field Secret.${field}`);
    }
    for (const [k, v] of Object.entries(values)) {
      if (typeof v !== "string") {
        throw refuse(
          `json: cannot unmarshal ${typeof v} into Go struct field Secret.${field} of type ` +
            (field === "data" ? "[]uint8" : "string"),
        );
      }
      if (field === "stringData") data[k] = toBase64(v);
      else if (!STD_BASE64.test(v)) {
        const at = [...v].findIndex((c) => !/[A-Za-z0-9+/=]/.test(c));
        throw refuse(`illegal base64 data at input byte ${at < 0 ? v.length : at}`);
      } else data[k] = v;
    }
  }
  const type = body.type === undefined || body.type === "" ? "Opaque" : body.type;
  if (typeof type !== "string") throw refuse("json: cannot unmarshal into Secret.type");
  return {
    ...base,
    ...(typeof body.immutable === "boolean" ? { immutable: body.immutable } : {}),
    ...(Object.keys(data).length > 0 ? { data } : {}),
    type,
  };
}

/** The real API's checks of a new Secret, or of one patched (`old` is what it was). */
function check(s: SecretObj, old: SecretObj | null): void {
  const m = s.metadata;
  const errors = [
    ...subdomainErrors(m.name, "metadata.name"),
    ...labelErrors(m.labels, "metadata.labels"),
    ...Object.keys(m.annotations ?? {}).flatMap((k) => keyErrors(k, "metadata.annotations")),
  ];
  const refs = (m.ownerReferences ?? []) as Partial<NonNullable<Meta["ownerReferences"]>[0]>[];
  for (const r of refs) {
    for (
      const [f, what] of [["apiVersion", "version"], ["kind", "kind"], ["name", "name"], [
        "uid",
        "uid",
      ]] as const
    ) {
      if (!r[f]) {
        errors.push(`metadata.ownerReferences.${f}: Invalid value: "": ${what} must not be empty`);
      }
    }
  }
  if (refs.filter((r) => r.controller).length > 1) {
    errors.push(
      'metadata.ownerReferences: Invalid value: "": Only one reference can have Controller set to true',
    );
  }
  let bytes = 0;
  for (const [k, v] of Object.entries(s.data ?? {})) {
    errors.push(...configKeyErrors(k, `data[${k}]`));
    bytes += atob(v).length;
  }
  if (bytes > MAX_SECRET_BYTES) {
    errors.push(`data: Too long: must have at most ${MAX_SECRET_BYTES} bytes`);
  }
  if (old) {
    if (m.uid !== old.metadata.uid) {
      errors.push(`metadata.uid: Invalid value: ${JSON.stringify(m.uid)}: field is immutable`);
    }
    if (s.type !== old.type) {
      errors.push(`type: Invalid value: ${JSON.stringify(s.type)}: field is immutable`);
    }
    if (old.immutable) {
      if (JSON.stringify(s.data ?? {}) !== JSON.stringify(old.data ?? {})) {
        errors.push("data: Forbidden: field is immutable when `immutable` is set");
      }
      if (!s.immutable) {
        errors.push("immutable: Forbidden: field is immutable when `immutable` is set");
      }
    }
  }
  if (errors.length > 0) throw invalid("Secret", "", m.name, errors);
}

/** A JSON merge patch (RFC 7386): objects merge, null removes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    typeof target === "object" && target !== null && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}
