/**
 * `pt tui`: the full-screen dashboard (`src/tui/`). With `--remote URL` it talks to a
 * running `pt run` (token from `PETIT_API_TOKEN`, `--ca-cert` as for `pt status`); with
 * `--db PATH` it reads a database file. With neither, it looks for an API at the default
 * address and falls back to the default database.
 *
 * @module
 */

import type { Command } from "commander";
import { ApiClient, ApiUnreachableError } from "../../api/client.ts";
import { DEFAULT_API_HOST, DEFAULT_API_PORT } from "../../api/deps.ts";
import type { TuiSource } from "../../tui/mod.ts";
import { ExitCode, UsageError } from "../output.ts";
import { DB_HELP, dbPath, openStore } from "../store.ts";
import { CA_CERT_HELP, failRemote } from "./status.ts";

/** The dashboard's modules, imported when `pt tui` runs (see registerTui). */
type Tui = typeof import("../../tui/mod.ts");

interface TuiFlags {
  remote?: string;
  caCert?: string;
  db?: string;
}

/** The API `pt tui` looks for when given neither `--remote` nor `--db`. */
const DEFAULT_URL = `http://${DEFAULT_API_HOST}:${DEFAULT_API_PORT}`;

/**
 * Milliseconds `pt tui` without flags waits for an API at {@link DEFAULT_URL} before reading
 * the database instead (a local server answers in about one).
 *
 * @default {1000}
 */
const PROBE_MS = 1000;

/** Registers `tui`. */
export function registerTui(program: Command): void {
  program.command("tui")
    .description(
      "full-screen dashboard of jobs, runs, tasks and live logs (from a running `pt run` " +
        `with --remote, or a database with --db; with neither, ${DEFAULT_URL} if it ` +
        "answers, else the database)",
    )
    .option(
      "--remote <url>",
      "use the `pt run` API at this URL (token from PETIT_API_TOKEN); exit 1 if it cannot " +
        "be reached, 2 if the token is refused",
    )
    .option("--ca-cert <file>", CA_CERT_HELP)
    .option("--db <path>", `${DB_HELP}; only read`)
    .action(async (flags: TuiFlags) => {
      if (flags.remote !== undefined && flags.db !== undefined) {
        throw new UsageError("give --remote URL or --db PATH, not both");
      }
      // Imported here, not at the top: every `pt` command loads this file, and the TUI's
      // own modules are 0.4 MiB of heap `pt run` never uses (bench/README.md, memory.ts).
      const tui: Tui = await import("../../tui/mod.ts");
      if (!tui.Terminal.available()) {
        throw new UsageError(
          "pt tui needs a terminal on stdin and stdout (for scripts: pt status --json)",
        );
      }
      const { source, message } = await chooseSource(tui, flags);
      let code: number;
      try {
        code = await tui.runDashboard(source, new tui.Terminal(), { message });
      } finally {
        source.close();
      }
      if (code !== 0) throw new ExitCode(code);
    });
}

/** The source the flags ask for, checked to answer before the screen is taken. */
async function chooseSource(
  tui: Tui,
  flags: TuiFlags,
): Promise<{ source: TuiSource; message?: string }> {
  if (flags.remote !== undefined) return { source: await remote(tui, flags.remote, flags.caCert) };
  if (flags.db !== undefined) return { source: database(tui, dbPath(flags.db)) };
  const probe = new ApiClient(DEFAULT_URL, { caCertFile: null, timeoutMs: PROBE_MS });
  try {
    await probe.health();
  } catch (err) {
    // Something else answers there, or refuses: say so rather than read a database.
    if (!(err instanceof ApiUnreachableError)) failRemote(err);
    const path = dbPath(undefined);
    let source: TuiSource;
    try {
      source = database(tui, path);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      throw new UsageError(
        `no pt run API at ${DEFAULT_URL} and ${e.message.replace(/ \(.*\)$/, "")} ` +
          "(start pt run, or give --remote URL or --db PATH)",
      );
    }
    return { source, message: `no pt run API at ${DEFAULT_URL}: reading the database` };
  } finally {
    probe.close();
  }
  return { source: await remote(tui, DEFAULT_URL, flags.caCert) };
}

/** A remote source whose API answered with the token given. */
async function remote(
  tui: Tui,
  url: string,
  caCertFile: string | undefined,
): Promise<TuiSource> {
  let client: ApiClient | null = null;
  try {
    client = new ApiClient(url, { caCertFile });
    await client.state();
    return new tui.RemoteSource(client);
  } catch (err) {
    client?.close();
    failRemote(err);
  }
}

/** A database source over an existing file. */
function database(tui: Tui, path: string): TuiSource {
  const storage = openStore(path, { existing: true });
  try {
    return new tui.DbSource(storage, path);
  } catch (err) {
    storage.close();
    throw err;
  }
}
