import { loadJobTexts } from "./src/config/loader/mod.ts";
const n = 20000;
const lines = ["id: chain", "tasks:"];
for (let i = 0; i < n; i++) {
  lines.push(`  - id: t${i}`, "    command: echo");
  if (i > 0) lines.push(`    depends_on: [t${i - 1}]`);
}
const text = lines.join("\n");
for (let k=0;k<3;k++){const t0 = performance.now();
const r = loadJobTexts([{ file: "c.yaml", text }]);
console.log(r.errors.length, performance.now() - t0);}
