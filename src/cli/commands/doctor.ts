/**
 * `pt doctor`: a self-check to run where Petit will run (a Raspberry Pi after copying the
 * binary over, a server under systemd). One `ok` or `FAIL` line per check, exit 0 when all
 * pass, 1 otherwise. It creates no database: the write test is a temp file beside it, removed.
 *
 * Checks that need a permission Petit was not granted fail without asking for it (no prompt).
 * `pt doctor kubernetes` checks the configured cluster instead (`doctor_kubernetes.ts`).
 *
 * @module
 */

import type { Command } from "commander";
import { DatabaseSync } from "node:sqlite";
import { dirname, resolve } from "node:path";
import { groupLeaderProgram, SETSID } from "../../exec/process/groups.ts";
import { VERSION } from "../../version.ts";
import { ExitCode } from "../output.ts";
import { DB_HELP, dbPath } from "../store.ts";
import { registerDoctorKubernetes } from "./doctor_kubernetes.ts";

/** One check's outcome. */
export interface CheckResult {
  readonly ok: boolean;
  readonly label: string;
  readonly detail: string;
}

/** The permissions Petit runs with (deno.json's tasks, the compiled binaries). */
const NEEDED = ["read", "write", "run", "env", "net", "sys"] as const;

/** A zone with daylight saving time: January and July differ only with time zone data. */
const ZONE = "Europe/Berlin";

/** Registers `doctor`. */
export function registerDoctor(program: Command): void {
  const doctor = program.command("doctor")
    .description("check that Petit can work on this machine (permissions, database, tools)");
  registerDoctorKubernetes(doctor);
  doctor
    .option("--db <path>", DB_HELP)
    .action(async (flags: { db?: string }) => {
      const results = await runChecks(flags.db);
      for (const r of results) console.log(`${r.ok ? "ok  " : "FAIL"}  ${r.label}: ${r.detail}`);
      const failed = results.filter((r) => !r.ok).length;
      console.log(failed === 0 ? "all checks passed" : `${failed} check(s) failed`);
      if (failed > 0) throw new ExitCode(1);
    });
}

/** Runs every check in order; a check that throws is a failure with its message. */
export async function runChecks(db: string | undefined): Promise<CheckResult[]> {
  const granted = new Set(
    NEEDED.filter((name) => Deno.permissions.querySync({ name }).state === "granted"),
  );
  const results: CheckResult[] = [
    {
      ok: true,
      label: "petit",
      detail: granted.has("read") ? `${VERSION} (${Deno.execPath()})` : VERSION,
    },
    {
      ok: true,
      label: "deno",
      detail: `${Deno.version.deno}, V8 ${Deno.version.v8}, ${Deno.build.target}`,
    },
    ...NEEDED.map((name) => ({
      ok: granted.has(name),
      label: `permission ${name}`,
      detail: granted.has(name) ? "granted" : `not granted (run with --allow-${name})`,
    })),
  ];
  const check = async (
    label: string,
    needs: readonly (typeof NEEDED)[number][],
    fn: () => string | Promise<string>,
  ) => {
    const missing = needs.filter((n) => !granted.has(n));
    if (missing.length > 0) {
      const flags = missing.map((n) => `--allow-${n}`).join(" ");
      results.push({ ok: false, label, detail: `not checked: needs ${flags}` });
      return;
    }
    try {
      results.push({ ok: true, label, detail: await fn() });
    } catch (err) {
      results.push({ ok: false, label, detail: err instanceof Error ? err.message : String(err) });
    }
  };
  await check("database", ["read", "write", "env"], () => checkDatabase(db));
  await check("sqlite", [], () => {
    const conn = new DatabaseSync(":memory:");
    try {
      const row = conn.prepare("SELECT sqlite_version() AS v").get();
      return `node:sqlite ${row?.v}`;
    } finally {
      conn.close();
    }
  });
  await check("ps", ["run"], async () => {
    const out = await new Deno.Command("ps", { args: ["-o", "pid=", "-p", String(Deno.pid)] })
      .output().catch((err) => {
        throw err instanceof Deno.errors.NotFound ? new Error("not found (install procps)") : err;
      });
    const text = new TextDecoder().decode(out.stdout).trim();
    if (!out.success || text !== String(Deno.pid)) throw new Error(`ps -p ${Deno.pid} failed`);
    return "works (process identity and recovery)";
  });
  await check("setsid", ["read", "write", "run"], async () => {
    const leader = groupLeaderProgram();
    if (leader === null) {
      throw new Error(
        "no way to start a task in its own process group: Petit's stub could not run from " +
          "the temporary folder (noexec?) and util-linux setsid is missing (spawns are slower)",
      );
    }
    const out = await new Deno.Command(leader, { args: ["/bin/sh", "-c", "exit 0"] }).output();
    if (!out.success) throw new Error(`${leader} /bin/sh -c "exit 0" exited ${out.code}`);
    return leader === SETSID
      ? `${SETSID} (a process group per task; Petit's faster stub could not run here)`
      : `Petit's stub, ${leader} (a process group per task)`;
  });
  await check("time zones", [], () => {
    const hour = (iso: string) =>
      new Intl.DateTimeFormat("en-GB", { timeZone: ZONE, hour: "numeric", hourCycle: "h23" })
        .format(new Date(iso));
    const winter = hour("2026-01-15T12:00:00Z");
    const summer = hour("2026-07-15T12:00:00Z");
    if (winter !== "13" || summer !== "14") {
      throw new Error(`${ZONE} noon UTC is ${winter}/${summer} h, not 13/14 (no zone data)`);
    }
    const local = Intl.DateTimeFormat().resolvedOptions().timeZone;
    return `${ZONE} with daylight saving time; local zone ${local}`;
  });
  await check("api", ["net"], () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const { port } = listener.addr as Deno.NetAddr;
    listener.close();
    return `can listen on 127.0.0.1 (port ${port} for this test)`;
  });
  return results;
}

/**
 * Whether the database can be written: the file itself when it exists, and its folder (SQLite
 * writes `-wal` and `-shm` files beside it), or the nearest existing folder above a default
 * location that `pt run` would create.
 */
function checkDatabase(flag: string | undefined): string {
  const path = dbPath(flag);
  if (path === ":memory:") return "in memory (nothing is kept)";
  const full = resolve(path);
  const existing = statOrNull(full);
  if (existing?.isDirectory) throw new Error(`${full} is a folder, not a database file`);
  if (existing) Deno.openSync(full, { read: true, write: true }).close();
  let dir = dirname(full);
  const explicit = flag !== undefined || Deno.env.get("PETIT_DB") !== undefined;
  while (!statOrNull(dir)?.isDirectory) {
    if (explicit) throw new Error(`database folder not found: ${dir} (create it first)`);
    if (dirname(dir) === dir) throw new Error(`no existing folder above ${full}`);
    dir = dirname(dir);
  }
  const probe = Deno.makeTempFileSync({ dir, prefix: ".petit-doctor-" });
  Deno.removeSync(probe);
  return `${full} ${existing ? "exists and is writable" : `can be created (${dir} is writable)`}`;
}

function statOrNull(path: string): Deno.FileInfo | null {
  try {
    return Deno.statSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return null;
    }
    throw err;
  }
}
