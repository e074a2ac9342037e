/**
 * Where the database goes by default, and which backend a path opens.
 *
 * @module
 */

import assert from "node:assert/strict";
import { InMemoryStorage } from "../../../src/storage/memory.ts";
import { defaultDbPath, openStorage, SqliteStorage } from "../../../src/storage/sqlite/mod.ts";

Deno.test("defaultDbPath follows XDG_DATA_HOME, then HOME", () => {
  const env = (vars: Record<string, string>) => (k: string) => vars[k];
  assert.equal(
    defaultDbPath(env({ XDG_DATA_HOME: "/data", HOME: "/home/pi" })),
    "/data/petit/petit.db",
  );
  assert.equal(defaultDbPath(env({ HOME: "/home/pi/" })), "/home/pi/.local/share/petit/petit.db");
  assert.equal(
    defaultDbPath(env({ XDG_DATA_HOME: "relative", HOME: "/home/pi" })),
    "/home/pi/.local/share/petit/petit.db",
  );
  assert.throws(() => defaultDbPath(env({})), /HOME/);
});

Deno.test("openStorage picks memory for :memory:, SQLite otherwise", async () => {
  const mem = openStorage(":memory:");
  assert.ok(mem instanceof InMemoryStorage);
  mem.close();
  const dir = await Deno.makeTempDir({ prefix: "petit-storage-" });
  try {
    const s = openStorage(`${dir}/x.db`);
    assert.ok(s instanceof SqliteStorage);
    s.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
