// Re-renders bench/results/latest.md from latest.json (same measurements, current table layout and targets):
// `node --import tsx scripts/bench-rerender.ts`.

import { readFileSync, writeFileSync } from "node:fs";
import { judgeTargets, renderTable, renderTargets, summarize, type Measurement } from "../bench/report.js";

const path = new URL("../bench/results/latest.json", import.meta.url);
const saved = JSON.parse(readFileSync(path, "utf8")) as {
  machine: string;
  settings: { warmupSeconds: number; seconds: number; repeats: number; distinct: number };
  connections: number;
  quick: boolean;
  measurements: (Measurement & { date?: string })[];
  date?: string;
};
const original = readFileSync(new URL("../bench/results/latest.md", import.meta.url), "utf8");
const date = saved.date ?? /^(\d{4}-\d\d-\d\dT[\d:.]+Z)/m.exec(original)?.[1] ?? "unknown date";
const summary = summarize(saved.measurements);
const table = `${renderTable(summary, { machine: saved.machine, quick: saved.quick, settings: saved.settings, connections: saved.connections, date })}\n${renderTargets(judgeTargets(summary))}`;
writeFileSync(new URL("../bench/results/latest.md", import.meta.url), table);
console.log(table);
