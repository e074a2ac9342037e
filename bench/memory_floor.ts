/**
 * The memory floor `bench/memory.ts` compares `pt run` with: a bare Deno process that imports
 * node:sqlite and Hono, opens a database, serves one route with `Deno.serve` and keeps a 1 s
 * timer — what any scheduler with an HTTP API and SQLite pays before doing any work.
 *
 * Usage: deno run <pt flags> bench/memory_floor.ts <db-file>
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { Hono } from "hono";

const db = new DatabaseSync(Deno.args[0] ?? ":memory:");
db.exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)");
const app = new Hono().get("/", (c) => c.json(db.prepare("SELECT count(*) AS n FROM t").get()));
const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, app.fetch);
console.log(`http://127.0.0.1:${server.addr.port}`);
setInterval(() => db.prepare("SELECT 1").get(), 1000);
