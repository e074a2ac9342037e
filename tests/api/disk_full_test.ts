/**
 * The API with the database full (SQLite's `max_page_count`, tests/storage/full_db.ts): a
 * change the disk refuses is a 503 that says what to do, never a 500 with a stack; the change
 * holds in memory and reaches the file once there is space.
 *
 * @module
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { FullDb } from "../storage/full_db.ts";
import { waitUntil } from "../scenarios/helpers.ts";
import { startHarness } from "./helpers.ts";

Deno.test("API: disable with the disk full is a 503; it holds, and is written once there is space", async () => {
  let full: FullDb | null = null;
  const h = await startHarness({
    openStorage: (path) => {
      full = new FullDb(path);
      // Rows with shorter keys, until one more would take a new page: the row of "quick" then
      // needs one, which the full disk refuses. (Not VACUUM: some SQLite builds refuse it.)
      const other = new DatabaseSync(path);
      const insert = other.prepare("INSERT INTO job_state VALUES (?, 1, 0)");
      const pages = () => Number(other.prepare("PRAGMA page_count").get()?.page_count);
      for (let i = 0;; i++) {
        const before = pages();
        other.exec("SAVEPOINT one");
        insert.run(`a${String(i).padStart(3, "0")}`);
        const grew = pages() > before;
        if (grew) other.exec("ROLLBACK TO one");
        other.exec("RELEASE one");
        if (grew) break;
      }
      other.close();
      return full.open(0);
    },
  });
  try {
    const db = full!;
    h.scheduler.storage.flush();
    const errors: unknown[][] = [];
    const logError = console.error;
    console.error = (...args: unknown[]) => void errors.push(args);
    let res;
    try {
      res = await h.json<{ error: string; code: string }>("/api/jobs/quick/disable", {
        method: "POST",
      });
    } finally {
      console.error = logError;
    }
    assert.equal(res.status, 503);
    assert.equal(res.body.code, "UNAVAILABLE");
    assert.match(res.body.error, /free disk space/);
    assert.doesNotMatch(res.body.error, new RegExp(db.path.replaceAll("/", "\\/")));
    // One line in the operator's log (the store's); no stack.
    assert.equal(errors.length, 1);
    assert.match(String(errors[0][0]), /ERROR the database refuses writes .*free disk space/);
    assert.equal(errors[0].length, 1, "a line, not an error object with its stack");

    // It holds: the job is disabled for the scheduler and the API, its timer gone.
    const job = await h.json<{ enabled: boolean; next_run: string | null }>("/api/jobs/quick");
    assert.equal(job.body.enabled, false);
    assert.equal(job.body.next_run, null);

    // Once there is space, the store's retry writes it to the file.
    const other = new DatabaseSync(db.path);
    try {
      other.exec("DELETE FROM job_state WHERE job_id LIKE 'a%'"); // their space becomes free
      const saved = () =>
        other.prepare("SELECT enabled FROM job_state WHERE job_id = 'quick'").get()?.enabled;
      await waitUntil("the change in the file", () => saved() === 0 || undefined);
    } finally {
      other.close();
    }
    assert.equal((await h.json<{ enabled: boolean }>("/api/jobs/quick")).body.enabled, false);
  } finally {
    await h.close();
  }
});
