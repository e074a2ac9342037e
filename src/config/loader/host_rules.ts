/**
 * The `host:` of jobs and tasks: where each is written (collected with the file's analysis),
 * checked against the config file's `[hosts.NAME]` once the folder is settled, and the hosts
 * the built tasks run on. A job's `host` is the default of its command tasks; `type: http`,
 * `type: job` and `type: kubernetes` tasks never run on a host. Plain data in and out, no I/O.
 *
 * @module
 */

import type { SshHost } from "../../core/model.ts";
import type { ConfigError } from "../errors.ts";
import type { Position, YamlFile } from "../yaml_doc.ts";
import { listKnown } from "./issues.ts";
import { isRecord } from "./raw.ts";

/** One `host:` of a file, with where its value is written. */
export interface HostRef {
  /** The host name as written. */
  readonly name: string;
  /** Where the value is. */
  readonly pos: Position;
}

/** The config file's hosts by name, as the loader is given them. */
export type HostTable = Readonly<Record<string, SshHost>>;

/** Every string `host:` of the job and of its tasks, with positions. */
export function collectHostRefs(yaml: YamlFile, raw: Record<string, unknown>): HostRef[] {
  const refs: HostRef[] = [];
  if (typeof raw.host === "string") refs.push({ name: raw.host, pos: yaml.valueAt(["host"]) });
  if (Array.isArray(raw.tasks)) {
    raw.tasks.forEach((t, i) => {
      if (isRecord(t) && typeof t.host === "string") {
        refs.push({ name: t.host, pos: yaml.valueAt(["tasks", i, "host"]) });
      }
    });
  }
  return refs;
}

/** An error for each host name that is not a `[hosts.NAME]` of the config file. */
export function unknownHostErrors(
  file: string,
  refs: readonly HostRef[],
  hosts: HostTable,
): ConfigError[] {
  const errors: ConfigError[] = [];
  for (const ref of refs) {
    if (Object.hasOwn(hosts, ref.name)) continue;
    const known = Object.keys(hosts).sort();
    errors.push({
      file,
      ...ref.pos,
      message: `unknown host "${ref.name}" ` +
        (known.length
          ? `(known hosts: ${listKnown(known)})`
          : "(the config file has no [hosts.NAME] tables; add one, or give --config FILE)"),
    });
  }
  return errors;
}

/**
 * The host a task of type `type` runs on: its own `host`, else its job's; none for HTTP,
 * sub-job and Kubernetes tasks. Names were checked, so a missing one is a bug.
 */
export function taskHost(
  type: string,
  own: string | undefined,
  jobs: string | undefined,
  hosts: HostTable,
): SshHost | null {
  if (type === "http" || type === "job" || type === "kubernetes") return null;
  const name = own ?? jobs;
  if (name === undefined) return null;
  const host = hosts[name];
  if (host === undefined) throw new Error(`petit: unknown host "${name}" after validation`);
  return host;
}
