// Benchmark results: medians of the repeats, ratios within one run, a markdown table and an SVG bar chart.

export interface Measurement {
  contestant: string;
  group: "bare" | "tessera" | "peer";
  framework: string;
  kind: "none" | "cookie" | "store";
  workload: string;
  repeat: number;
  requestsPerSecond: number;
  p99Ms: number;
  cpuMicrosPerRequest: number;
  errors: number;
  /** Compare-and-set conflicts the server counted during the run (tessera's store modes). */
  conflicts?: number | undefined;
}

export interface Row {
  contestant: string;
  group: Measurement["group"];
  framework: string;
  kind: Measurement["kind"];
  workload: string;
  requestsPerSecond: number;
  p99Ms: number;
  cpuMicrosPerRequest: number;
  /** Server CPU µs per request over the bare framework it runs on, same workload. */
  addedMicros: number | undefined;
  ratioToBareNode: number | undefined;
  /** Requests per second over the best peer of the same kind (cookie or store), same workload. */
  ratioToBestPeer: number | undefined;
  bestPeer: string | undefined;
  errors: number;
  /** Compare-and-set conflicts over all repeats; `undefined` where the server does not count them. */
  conflicts: number | undefined;
}

const bareNames: Record<string, string> = { node: "bare node:http", fastify: "bare Fastify", express: "bare Express", hono: "bare Hono" };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * One row per contestant and workload: medians of the repeats, then ratios against rows of the same run.
 *
 * @example
 * const rows = summarize(measurements);
 */
export function summarize(measurements: Measurement[]): Row[] {
  const groups = new Map<string, Measurement[]>();
  for (const m of measurements) {
    const key = `${m.workload}\u0000${m.contestant}`;
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  const rows: Row[] = [...groups.values()].map((ms) => {
    const first = ms[0]!;
    return {
      contestant: first.contestant,
      group: first.group,
      framework: first.framework,
      kind: first.kind,
      workload: first.workload,
      requestsPerSecond: median(ms.map((m) => m.requestsPerSecond)),
      p99Ms: median(ms.map((m) => m.p99Ms)),
      cpuMicrosPerRequest: median(ms.map((m) => m.cpuMicrosPerRequest)),
      addedMicros: undefined,
      ratioToBareNode: undefined,
      ratioToBestPeer: undefined,
      bestPeer: undefined,
      errors: ms.reduce((sum, m) => sum + m.errors, 0),
      conflicts: ms.some((m) => m.conflicts !== undefined) ? ms.reduce((sum, m) => sum + (m.conflicts ?? 0), 0) : undefined,
    };
  });
  for (const row of rows) {
    const sameWorkload = rows.filter((r) => r.workload === row.workload);
    const bareNode = sameWorkload.find((r) => r.contestant === bareNames.node);
    const bareFramework = sameWorkload.find((r) => r.contestant === bareNames[row.framework]);
    if (bareNode) row.ratioToBareNode = row.requestsPerSecond / bareNode.requestsPerSecond;
    if (bareFramework && row.group !== "bare") row.addedMicros = row.cpuMicrosPerRequest - bareFramework.cpuMicrosPerRequest;
    if (row.group === "tessera") {
      const peers = sameWorkload.filter((r) => r.group === "peer" && r.kind === row.kind);
      const best = peers.sort((a, b) => b.requestsPerSecond - a.requestsPerSecond)[0];
      if (best) {
        row.ratioToBestPeer = row.requestsPerSecond / best.requestsPerSecond;
        row.bestPeer = best.contestant;
      }
    }
  }
  return rows;
}

const fixed = (value: number | undefined, digits: number) => (value === undefined || Number.isNaN(value) ? "" : value.toFixed(digits));

/**
 * A markdown table per workload, with the run's settings and machine.
 *
 * @example
 * writeFileSync("bench/results/latest.md", renderTable(rows, meta));
 */
export function renderTable(
  rows: Row[],
  meta: { machine: string; quick: boolean; settings: { warmupSeconds: number; seconds: number; repeats: number; distinct: number }; connections: number; date: string },
): string {
  const lines = [
    `# tessera benchmark${meta.quick ? " (quick)" : ""}`,
    "",
    `${meta.date}, ${meta.machine}. Each server in its own process, autocannon in another, 127.0.0.1, ${meta.connections} connections, ` +
      `${meta.settings.warmupSeconds} s warm-up, median of ${meta.settings.repeats} runs of ${meta.settings.seconds} s, contestants interleaved. ` +
      `W1 reads the session and greets the user; W2 changes it on every request; W1 distinct reads across ${meta.settings.distinct} sessions; ` +
      `W2 shared has every connection change one session at once (conflicts: compare-and-set conflicts the server counted, tessera's store modes). ` +
      "CPU is the server process's utime + stime over the run, per request; added µs is over the bare framework it runs on; " +
      "the peer ratio compares with the fastest peer of the same kind (cookie or store) in the same workload.",
    "",
  ];
  // The realistic paths first: many users with distinct cookies, then a write on every request.
  const order = ["W1 distinct", "W2", "W1", "W2 shared"];
  const rank = (workload: string) => (order.includes(workload) ? order.indexOf(workload) : order.length);
  for (const workload of [...new Set(rows.map((r) => r.workload))].sort((a, b) => rank(a) - rank(b))) {
    lines.push(`## ${workload}`, "");
    lines.push("| contestant | req/s | p99 ms | server CPU µs/req | added µs | × bare node:http | × best peer | errors | conflicts |");
    lines.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    const sorted = rows
      .filter((r) => r.workload === workload)
      .sort((a, b) => ["bare", "tessera", "peer"].indexOf(a.group) - ["bare", "tessera", "peer"].indexOf(b.group) || b.requestsPerSecond - a.requestsPerSecond);
    for (const r of sorted) {
      const peer = r.ratioToBestPeer === undefined ? "" : `${fixed(r.ratioToBestPeer, 2)} (${r.bestPeer})`;
      lines.push(
        `| ${r.contestant} | ${fixed(r.requestsPerSecond, 0)} | ${fixed(r.p99Ms, 1)} | ${fixed(r.cpuMicrosPerRequest, 1)} | ${fixed(r.addedMicros, 1)} | ${fixed(r.ratioToBareNode, 2)} | ${peer} | ${r.errors} | ${r.conflicts ?? ""} |`,
      );
    }
    lines.push("");
  }
  return lines.join("\n");
}

const escapeXml = (text: string) => text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Horizontal bars: requests per second as a ratio to bare node:http, W1 distinct, W2 and W1 side by side per contestant.
 *
 * @example
 * writeFileSync("bench/results/latest.svg", renderChart(rows));
 */
export function renderChart(rows: Row[]): string {
  const names = [...new Set(rows.map((r) => r.contestant))];
  const series = [
    { workload: "W1 distinct", color: "#3451b2" },
    { workload: "W2", color: "#e0803c" },
    { workload: "W1", color: "#8fa4d9" },
  ];
  const barHeight = 9;
  const rowHeight = barHeight * series.length + 8;
  const left = 250;
  const width = 820;
  const scale = (width - left - 60) / Math.max(1, ...rows.map((r) => r.ratioToBareNode ?? 0));
  const height = 40 + names.length * rowHeight + 30;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="system-ui, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="20" font-size="13" font-weight="bold">Requests per second, × bare node:http (same run)</text>`,
  ];
  series.forEach((s, i) => {
    parts.push(`<rect x="${left + i * 110}" y="28" width="10" height="10" fill="${s.color}"/><text x="${left + 14 + i * 110}" y="37">${s.workload}</text>`);
  });
  names.forEach((name, index) => {
    const y = 48 + index * rowHeight;
    parts.push(`<text x="${left - 8}" y="${y + rowHeight / 2}" text-anchor="end">${escapeXml(name)}</text>`);
    series.forEach((s, i) => {
      const row = rows.find((r) => r.contestant === name && r.workload === s.workload);
      if (!row?.ratioToBareNode) return;
      const w = row.ratioToBareNode * scale;
      parts.push(`<rect x="${left}" y="${y + i * barHeight}" width="${w.toFixed(1)}" height="${barHeight - 1}" fill="${s.color}"/>`);
      parts.push(`<text x="${left + w + 4}" y="${y + i * barHeight + barHeight - 1}" font-size="9">${row.ratioToBareNode.toFixed(2)}</text>`);
    });
  });
  const x1 = left + scale;
  parts.push(`<line x1="${x1}" y1="44" x2="${x1}" y2="${height - 24}" stroke="#999" stroke-dasharray="3 3"/>`);
  parts.push(`<text x="${x1}" y="${height - 10}" text-anchor="middle" fill="#666">1.0 = bare node:http</text>`);
  parts.push("</svg>");
  return parts.join("\n");
}

/** One speed target, judged on the rows of one run. */
export interface Target {
  /** What is promised, as a sentence. */
  goal: string;
  /** What this run measured, in words and numbers. */
  measured: string;
  /** `undefined` when the run lacks a contestant the target needs (a quick run, a store not running). */
  met: boolean | undefined;
}

/**
 * The targets of the speed work, judged on `rows` (one run, interleaved): added server CPU against the best peer and
 * the bare framework, per workload. A target whose contestants the run did not include is reported as not measured.
 *
 * @example
 * for (const target of judgeTargets(rows)) console.log(target.met, target.goal);
 */
export function judgeTargets(rows: Row[]): Target[] {
  const find = (contestant: string, workload: string) => rows.find((r) => r.contestant === contestant && r.workload === workload);
  const targets: Target[] = [];
  const missing = (goal: string): Target => ({ goal, measured: "not in this run", met: undefined });

  for (const codec of ["sealed", "xchacha", "signed"]) {
    for (const workload of ["W1 distinct", "W2"]) {
      const name = codec === "xchacha" ? "sealed (XChaCha20-Poly1305)" : codec;
      const goal = `${name} cookie on Fastify, ${workload}: added CPU ≤ 0.8× @fastify/secure-session's`;
      const ours = find(`tessera Fastify ${codec}`, workload)?.addedMicros;
      const peer = find("@fastify/secure-session", workload)?.addedMicros;
      if (ours === undefined || peer === undefined) targets.push(missing(goal));
      else targets.push({ goal, measured: `+${fixed(ours, 1)} µs vs +${fixed(peer, 1)} µs (${fixed(ours / peer, 2)}×)`, met: ours <= 0.8 * peer });
    }
  }
  const modes = [...new Set(rows.filter((r) => r.group === "tessera").map((r) => r.contestant.split(" ").at(-1)!))];
  const workloads = ["W1", "W2", "W1 distinct"];
  for (const mode of modes) {
    const goal = `Hono adapter, ${mode}: added CPU ≤ 1.2× node:http's in W1, W2 and W1 distinct`;
    const ratios = workloads.flatMap((workload) => {
      const hono = find(`tessera Hono ${mode}`, workload)?.addedMicros;
      const node = find(`tessera node:http ${mode}`, workload)?.addedMicros;
      return hono === undefined || node === undefined ? [] : [{ workload, ratio: hono / Math.max(node, 0.1) }];
    });
    if (ratios.length === 0) targets.push(missing(goal));
    else {
      const worst = ratios.reduce((a, b) => (b.ratio > a.ratio ? b : a));
      targets.push({ goal, measured: `worst ${fixed(worst.ratio, 2)}× (${worst.workload})`, met: ratios.every((r) => r.ratio <= 1.2) });
    }
  }
  for (const mode of modes) {
    const goal = `Express adapter, ${mode}: ≤ +8 µs over bare Express in W1, W2 and W1 distinct`;
    const added = workloads.flatMap((workload) => {
      const value = find(`tessera Express ${mode}`, workload)?.addedMicros;
      return value === undefined ? [] : [{ workload, value }];
    });
    if (added.length === 0) targets.push(missing(goal));
    else {
      const worst = added.reduce((a, b) => (b.value > a.value ? b : a));
      targets.push({ goal, measured: `worst +${fixed(worst.value, 1)} µs (${worst.workload})`, met: added.every((a) => a.value <= 8) });
    }
  }
  for (const [workload, limit, what] of [["W1 distinct", 20, "read"], ["W2", 45, "write"]] as const) {
    const goal = `PostgreSQL ${what} (node:http, ${workload}): ≤ +${limit} µs`;
    const added = find("tessera node:http postgres", workload)?.addedMicros;
    targets.push(added === undefined ? missing(goal) : { goal, measured: `+${fixed(added, 1)} µs`, met: added <= limit });
  }
  {
    const goal = "SQLite W2 on Fastify: ≥ 1.0× @fastify/session's requests per second";
    const ours = find("tessera Fastify sqlite", "W2")?.requestsPerSecond;
    const peer = find("@fastify/session", "W2")?.requestsPerSecond;
    targets.push(ours === undefined || peer === undefined ? missing(goal) : { goal, measured: `${fixed(ours / peer, 2)}×`, met: ours >= peer });
  }
  {
    const goal = "W2 shared, every store mode: zero compare-and-set conflicts among one process's writers";
    const counted = rows.filter((r) => r.workload === "W2 shared" && r.conflicts !== undefined);
    const total = counted.reduce((sum, r) => sum + r.conflicts!, 0);
    targets.push(counted.length === 0 ? missing(goal) : { goal, measured: `${total} conflicts over ${counted.length} contestants`, met: total === 0 });
  }
  return targets;
}

/**
 * The targets as a markdown section: met, missed, or not measured in this run.
 *
 * @example
 * console.log(renderTargets(judgeTargets(rows)));
 */
export function renderTargets(targets: Target[]): string {
  const lines = ["## Targets", "", "| target | this run | |", "| --- | --- | --- |"];
  for (const t of targets) lines.push(`| ${t.goal} | ${t.measured} | ${t.met === undefined ? "not measured" : t.met ? "met" : "**missed**"} |`);
  return `${lines.join("\n")}\n`;
}

/** The session counts of the growth run, from its workload names (`W1 distinct 100000`). */
function growthSizes(rows: Row[]): number[] {
  return [...new Set(rows.map((r) => Number(/^W1 distinct (\d+)$/.exec(r.workload)?.[1])).filter((n) => n > 0))].sort((a, b) => a - b);
}

/**
 * The growth run as a table: added server CPU per request over bare node:http, and requests per second, at each
 * number of distinct sessions, one row per tessera mode.
 *
 * @example
 * writeFileSync("bench/results/growth.md", renderGrowthTable(rows, notes));
 */
export function renderGrowthTable(rows: Row[], notes: string[]): string {
  const sizes = growthSizes(rows);
  const names = [...new Set(rows.filter((r) => r.group === "tessera").map((r) => r.contestant))];
  const cell = (name: string, size: number) => {
    const row = rows.find((r) => r.contestant === name && r.workload === `W1 distinct ${size}`);
    return row === undefined ? "" : `+${fixed(row.addedMicros, 1)} µs, ${fixed(row.requestsPerSecond, 0)}/s${row.errors > 0 ? `, ${row.errors} errors` : ""}`;
  };
  const lines = [
    "# The cost of growth: W1 distinct at each number of sessions",
    "",
    ...notes,
    "",
    `| contestant | ${sizes.map((n) => `${n.toLocaleString("en-US")} sessions`).join(" | ")} |`,
    `| --- | ${sizes.map(() => "---:").join(" | ")} |`,
    ...names.map((name) => `| ${name} | ${sizes.map((n) => cell(name, n)).join(" | ")} |`),
    "",
  ];
  return lines.join("\n");
}

/**
 * The growth run as a line chart: added server CPU µs per request (over bare node:http) against the number of
 * distinct sessions (log scale), one line per tessera mode.
 *
 * @example
 * writeFileSync("bench/results/growth.svg", renderGrowthChart(rows));
 */
export function renderGrowthChart(rows: Row[]): string {
  const sizes = growthSizes(rows);
  const names = [...new Set(rows.filter((r) => r.group === "tessera").map((r) => r.contestant))];
  const colors = ["#3451b2", "#e0803c", "#2e8b57", "#b23451", "#8a6d3b", "#6a5acd", "#20b2aa", "#999"];
  const width = 820;
  const height = 420;
  const left = 70;
  const right = 230;
  const top = 40;
  const bottom = 50;
  const values = rows.filter((r) => r.group === "tessera" && r.addedMicros !== undefined).map((r) => r.addedMicros!);
  const maxY = Math.max(1, ...values) * 1.1;
  const minX = Math.log10(sizes[0] ?? 1);
  const spanX = Math.max(1e-9, Math.log10(sizes.at(-1) ?? 10) - minX);
  const x = (n: number) => left + ((Math.log10(n) - minX) / spanX) * (width - left - right);
  const y = (micros: number) => height - bottom - (Math.max(0, micros) / maxY) * (height - top - bottom);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="system-ui, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="20" font-size="13" font-weight="bold">Added server CPU per request (µs over bare node:http), W1 distinct, by number of sessions</text>`,
    `<line x1="${left}" y1="${height - bottom}" x2="${width - right}" y2="${height - bottom}" stroke="#999"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${height - bottom}" stroke="#999"/>`,
  ];
  for (const n of sizes) parts.push(`<text x="${x(n)}" y="${height - bottom + 16}" text-anchor="middle">${n.toLocaleString("en-US")}</text>`);
  for (let i = 0; i <= 4; i++) {
    const value = (maxY / 4) * i;
    parts.push(`<text x="${left - 6}" y="${y(value) + 4}" text-anchor="end">${value.toFixed(0)}</text>`);
    parts.push(`<line x1="${left}" y1="${y(value)}" x2="${width - right}" y2="${y(value)}" stroke="#eee"/>`);
  }
  names.forEach((name, index) => {
    const color = colors[index % colors.length]!;
    const points = sizes.flatMap((n) => {
      const row = rows.find((r) => r.contestant === name && r.workload === `W1 distinct ${n}`);
      return row?.addedMicros === undefined ? [] : [`${x(n).toFixed(1)},${y(row.addedMicros).toFixed(1)}`];
    });
    parts.push(`<polyline points="${points.join(" ")}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const point of points) parts.push(`<circle cx="${point.split(",")[0]}" cy="${point.split(",")[1]}" r="3" fill="${color}"/>`);
    parts.push(`<rect x="${width - right + 12}" y="${top + index * 18}" width="10" height="10" fill="${color}"/>`);
    parts.push(`<text x="${width - right + 26}" y="${top + index * 18 + 9}">${escapeXml(name)}</text>`);
  });
  parts.push(`<text x="${(left + width - right) / 2}" y="${height - 12}" text-anchor="middle" fill="#666">distinct sessions (log scale)</text>`);
  parts.push("</svg>");
  return parts.join("\n");
}
