/**
 * The schema and its migrations: versions, order, refusing newer databases, and
 * compatibility with the files earlier Petits wrote (`schemas.json` holds `sqlite_master`
 * of each version as released; never regenerate it from the current code).
 *
 * @module
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  migrate,
  type Migration,
  MigrationOrderError,
  MIGRATIONS,
  PAGE_SIZE,
  SCHEMA_VERSION,
  SchemaTooNewError,
  SqliteStorage,
} from "../../../src/storage/sqlite/mod.ts";
import { run, tempSqlite } from "../backends.ts";

/** A row of `sqlite_master`. */
interface SchemaRow {
  type: string;
  name: string;
  tbl_name: string;
  sql: string | null;
}

/** `sqlite_master` of each released schema version, by version. */
const SCHEMAS: Record<string, SchemaRow[]> = JSON.parse(
  await Deno.readTextFile(new URL("./schemas.json", import.meta.url)),
);

/** The schema of the database at `path`, ordered as in `schemas.json`. */
function schemaOf(path: string): SchemaRow[] {
  const db = new DatabaseSync(path);
  try {
    return db.prepare(
      "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type DESC, name",
    )
      .all().map((r) => ({ ...r }) as unknown as SchemaRow);
  } finally {
    db.close();
  }
}

Deno.test("sqlite: schema version, page size and WAL", async () => {
  const { storage, path, done } = await tempSqlite();
  try {
    storage.insertRun(run("r1"));
    storage.flush();
    const raw = new DatabaseSync(path);
    try {
      const pragma = (name: string) => raw.prepare(`PRAGMA ${name}`).get()?.[name];
      assert.equal(SCHEMA_VERSION, MIGRATIONS.length);
      assert.equal(pragma("user_version"), MIGRATIONS.length);
      assert.equal(pragma("journal_mode"), "wal");
      assert.equal(pragma("page_size"), PAGE_SIZE);
      const walStat = await Deno.stat(`${path}-wal`);
      assert.ok(walStat.isFile);
    } finally {
      raw.close();
    }
  } finally {
    await done();
  }
});

Deno.test("sqlite: refuses a database newer than the code", async () => {
  const dir = await Deno.makeTempDir({ prefix: "petit-storage-" });
  const path = `${dir}/petit.db`;
  try {
    new SqliteStorage(path).close();
    const raw = new DatabaseSync(path);
    raw.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    assert.throws(() => new SqliteStorage(path), SchemaTooNewError);
    assert.throws(
      () => new SqliteStorage(path),
      {
        message: `database schema version ${
          SCHEMA_VERSION + 1
        } is newer than this Petit supports (${SCHEMA_VERSION})`,
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("migrate: applies migrations in order and only once", () => {
  const db = new DatabaseSync(":memory:");
  try {
    assert.equal(migrate(db), SCHEMA_VERSION);
    let calls = 0;
    const more: Migration[] = [
      ...MIGRATIONS,
      { version: SCHEMA_VERSION + 1, sql: "ALTER TABLE runs ADD COLUMN note TEXT" },
      {
        version: SCHEMA_VERSION + 2,
        fn: (d: DatabaseSync) => {
          calls++;
          d.exec("CREATE TABLE slot_claims (job_id TEXT NOT NULL, slot INTEGER NOT NULL)");
        },
      },
    ];
    assert.equal(migrate(db, more), SCHEMA_VERSION + 2);
    assert.equal(migrate(db, more), SCHEMA_VERSION + 2);
    assert.equal(calls, 1);
    assert.equal(db.prepare("PRAGMA user_version").get()?.user_version, SCHEMA_VERSION + 2);
    // A failing migration leaves the version where it was.
    const failing = { version: SCHEMA_VERSION + 3, sql: "CREATE TABLE runs (x)" };
    assert.throws(() => migrate(db, [...more, failing]), /already exists/);
    assert.equal(db.prepare("PRAGMA user_version").get()?.user_version, SCHEMA_VERSION + 2);
  } finally {
    db.close();
  }
});

Deno.test("migrate: refuses a list whose versions are not 1, 2, 3, … and touches nothing", () => {
  const db = new DatabaseSync(":memory:");
  try {
    const skip = [...MIGRATIONS, { version: SCHEMA_VERSION + 2, sql: "CREATE TABLE x (y)" }];
    assert.throws(() => migrate(db, skip), MigrationOrderError);
    const swapped = [MIGRATIONS[1], MIGRATIONS[0]];
    assert.throws(() => migrate(db, swapped), { name: "MigrationOrderError" });
    assert.equal(db.prepare("PRAGMA user_version").get()?.user_version, 0);
  } finally {
    db.close();
  }
});

Deno.test("MIGRATIONS: versions run 1, 2, 3, … and SCHEMA_VERSION is the last", () => {
  assert.deepEqual(MIGRATIONS.map((m) => m.version), MIGRATIONS.map((_, i) => i + 1));
  assert.equal(SCHEMA_VERSION, MIGRATIONS.length);
});

Deno.test("SqliteStorage: a new database has exactly the schema earlier Petits wrote", async () => {
  const { storage, path, done } = await tempSqlite();
  try {
    storage.close();
    assert.deepEqual(schemaOf(path), SCHEMAS[String(SCHEMA_VERSION)]);
  } finally {
    await done();
  }
});

Deno.test("SqliteStorage: a version 1 database migrates to today's schema, keeping its runs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "petit-storage-" });
  const path = `${dir}/v1.db`;
  try {
    // Built from the stored version 1 schema, not from MIGRATIONS, so a changed step shows.
    const raw = new DatabaseSync(path);
    raw.exec(`PRAGMA page_size = ${PAGE_SIZE}`);
    raw.exec("PRAGMA journal_mode = WAL");
    for (const { sql, name } of SCHEMAS["1"]) {
      if (sql !== null && name !== "sqlite_sequence") raw.exec(sql);
    }
    raw.exec("PRAGMA user_version = 1");
    raw.exec(
      "INSERT INTO runs (id, job_id, status, trigger, started_at) " +
        "VALUES ('old', 'j', 'completed', 'manual', 5)",
    );
    raw.close();
    assert.deepEqual(
      schemaOf(path).filter((r) => r.name !== "sqlite_sequence"),
      SCHEMAS["1"].filter((r) => r.name !== "sqlite_sequence"),
    );

    const s = new SqliteStorage(path);
    try {
      assert.deepEqual(
        s.getRun("old"),
        run("old", { job_id: "j", status: "completed", started_at: 5 }),
      );
      s.setJobEnabled("j", false);
      assert.equal(s.jobEnabled("j"), false);
    } finally {
      s.close();
    }
    assert.deepEqual(schemaOf(path), SCHEMAS[String(SCHEMA_VERSION)]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SqliteStorage: a version 2 database migrates to version 3 (run params, parent run)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "petit-storage-" });
  const path = `${dir}/v2.db`;
  try {
    // Built from the stored version 2 schema, as an older Petit left it.
    const raw = new DatabaseSync(path);
    raw.exec(`PRAGMA page_size = ${PAGE_SIZE}`);
    raw.exec("PRAGMA journal_mode = WAL");
    for (const { sql, name } of SCHEMAS["2"]) {
      if (sql !== null && name !== "sqlite_sequence") raw.exec(sql);
    }
    raw.exec("PRAGMA user_version = 2");
    raw.exec(
      "INSERT INTO runs (id, job_id, status, trigger, started_at, owner) " +
        "VALUES ('old', 'j', 'completed', 'manual', 5, 'pid:1')",
    );
    raw.close();

    const s = new SqliteStorage(path);
    try {
      const old = s.getRun("old");
      assert.deepEqual(old?.params, {});
      assert.equal(old?.parent_run_id, null);
      s.insertRun(run("new", { params: { day: "2026-03-01" }, parent_run_id: "old" }));
      s.flush();
      assert.deepEqual(s.getRun("new")?.params, { day: "2026-03-01" });
      assert.equal(s.getRun("new")?.parent_run_id, "old");
    } finally {
      s.close();
    }
    assert.equal(SCHEMA_VERSION >= 3, true);
    assert.deepEqual(schemaOf(path), SCHEMAS[String(SCHEMA_VERSION)]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
