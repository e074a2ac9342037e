import assert from "node:assert/strict";
import { entryModule, entryModuleOf, setEntryModule } from "../../src/core/entry.ts";

Deno.test("entry: modules are found beside the running entry, in its layout", () => {
  const sources = entryModule().href;
  assert.match(sources, /\/src\/main\.ts$/, "without main.ts having run: the sources");
  assert.equal(
    entryModuleOf("config/loader/parse_worker").href,
    new URL("../../src/config/loader/parse_worker.ts", import.meta.url).href,
  );
  try {
    setEntryModule("file:///opt/petit/dist/pt/main.js");
    assert.equal(entryModule().href, "file:///opt/petit/dist/pt/main.js");
    assert.equal(
      entryModuleOf("config/loader/parse_worker").href,
      "file:///opt/petit/dist/pt/config/loader/parse_worker.js",
    );
  } finally {
    setEntryModule(sources);
  }
});
