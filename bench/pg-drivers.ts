// `npm run bench:pg-drivers`: the two PostgreSQL drivers on the statements the postgres store sends per request, on
// the same table, pool size and concurrency: `pg` (which the store uses, with named prepared statements) and
// `postgres` (porsager/postgres, which prepares every statement and pipelines). Each driver runs in a process of its
// own, alternating A B A B, and the table gives the median of the rounds: operations per second and the client
// process's CPU per operation. Prints a table; asserts nothing.

import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const url = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const concurrency = 16;
const poolSize = 10;
const seconds = Number(process.env.PG_DRIVERS_SECONDS ?? 3);
const rounds = Number(process.env.PG_DRIVERS_ROUNDS ?? 3);
const rows = 10_000;
const table = `bench_drivers_${process.pid}`;
const here = dirname(fileURLToPath(import.meta.url));
const self = fileURLToPath(import.meta.url);

type Driver = "pg" | "postgres";
type Operation = "read" | "write";
interface Result {
  driver: Driver;
  operation: Operation;
  opsPerSecond: number;
  cpuMicrosPerOp: number;
}

/** The store's per-request statements, as the postgres store writes them. */
const sql = {
  get: (t: string) => `SELECT id, version, record FROM ${t} WHERE id = $1`,
  update: (t: string) =>
    `UPDATE ${t} SET version = version + 1, user_id = $2, expires_at = $3, record = $4 WHERE id = $1 AND version = $5 AND ($6::float8 = 0 OR extract(epoch FROM clock_timestamp()) * 1000 <= $6::float8) RETURNING version`,
};

const record = JSON.stringify({ v: 1, c: Date.now(), s: Date.now(), d: { username: "alice", visits: 1 } });
const idOf = (i: number) => `id-${i.toString().padStart(8, "0")}-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`;

/** Runs `operation` on `driver` from `concurrency` loops for `seconds`: one child process's measurement. */
async function measure(driver: Driver, operation: Operation, tableName: string): Promise<Result> {
  const versions = new Map<number, number>();
  let run: (i: number) => Promise<void>;
  let close: () => Promise<void>;
  if (driver === "pg") {
    const { default: pg } = await import("pg");
    const pool = new pg.Pool({ connectionString: url, max: poolSize });
    const get = { name: "bench_get", text: sql.get(tableName) };
    const update = { name: "bench_update", text: sql.update(tableName) };
    run = async (i) => {
      if (operation === "read") {
        await pool.query({ ...get, values: [idOf(i)] });
        return;
      }
      const version = versions.get(i) ?? 1;
      const { rows: updated } = await pool.query<{ version: number }>({ ...update, values: [idOf(i), null, Date.now() + 3_600_000, record, version, 0] });
      versions.set(i, updated[0]?.version ?? version);
    };
    close = () => pool.end();
  } else {
    const { default: postgres } = await import("postgres");
    const client = postgres(url, { max: poolSize, prepare: true, onnotice: () => undefined });
    const get = sql.get(tableName);
    const update = sql.update(tableName);
    run = async (i) => {
      if (operation === "read") {
        await client.unsafe(get, [idOf(i)], { prepare: true });
        return;
      }
      const version = versions.get(i) ?? 1;
      const updated = await client.unsafe<{ version: number }[]>(update, [idOf(i), null, Date.now() + 3_600_000, record, version, 0], { prepare: true });
      versions.set(i, updated[0]?.version ?? version);
    };
    close = () => client.end();
  }
  // Warm-up: connections opened and statements prepared.
  await Promise.all(Array.from({ length: concurrency }, (_, k) => run(k)));
  let operations = 0;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, k) => {
      // Each loop walks its own slice of the rows: many sessions, never one a cache remembers.
      for (let i = k; performance.now() < end; i = (i + concurrency) % rows) {
        await run(i);
        operations++;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  await close();
  return { driver, operation, opsPerSecond: operations / elapsed, cpuMicrosPerOp: (cpu.user + cpu.system) / operations };
}

async function orchestrate(): Promise<void> {
  const { default: pg } = await import("pg");
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE TABLE ${table} (id text PRIMARY KEY, version integer NOT NULL, user_id text, expires_at bigint NOT NULL, record text NOT NULL)`);
  await admin.query(`INSERT INTO ${table} SELECT 'id-' || lpad(i::text, 8, '0') || '-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', 1, NULL, $1, $2 FROM generate_series(0, $3) AS i`, [
    Date.now() + 3_600_000,
    record,
    rows - 1,
  ]);
  const tsxLoader = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve("tsx/package.json")), "dist/loader.mjs")).href;
  const results: Result[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const operation of ["read", "write"] as const) {
        for (const driver of ["pg", "postgres"] as const) {
          const child = spawnSync(process.execPath, ["--import", tsxLoader, self, "--child", driver, operation, table], { encoding: "utf8", cwd: here });
          if (child.status !== 0) throw new Error(`${driver} ${operation} failed: ${child.stderr.slice(0, 500)}`);
          const result = JSON.parse(child.stdout.trim().split("\n").at(-1)!) as Result;
          results.push(result);
          console.error(`round ${round} ${driver.padEnd(8)} ${operation.padEnd(5)} ${result.opsPerSecond.toFixed(0).padStart(7)} ops/s ${result.cpuMicrosPerOp.toFixed(1).padStart(6)} µs CPU/op`);
        }
      }
    }
  } finally {
    await admin.query(`DROP TABLE IF EXISTS ${table}`);
    await admin.end();
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  console.log(`| operation | driver | ops/s | client CPU µs/op | × pg ops/s |`);
  console.log(`| --- | --- | ---: | ---: | ---: |`);
  for (const operation of ["read", "write"] as const) {
    const pick = (driver: Driver) => results.filter((r) => r.driver === driver && r.operation === operation);
    const base = median(pick("pg").map((r) => r.opsPerSecond));
    for (const driver of ["pg", "postgres"] as const) {
      const ops = median(pick(driver).map((r) => r.opsPerSecond));
      const cpu = median(pick(driver).map((r) => r.cpuMicrosPerOp));
      console.log(`| ${operation} | ${driver} | ${ops.toFixed(0)} | ${cpu.toFixed(1)} | ${(ops / base).toFixed(2)} |`);
    }
  }
  console.log(`\n${concurrency} concurrent loops, pool of ${poolSize}, ${rows.toLocaleString("en-US")} rows, ${rounds} rounds of ${seconds} s per driver and operation, alternating.`);
}

if (process.argv[2] === "--child") {
  console.log(JSON.stringify(await measure(process.argv[3] as Driver, process.argv[4] as Operation, process.argv[5]!)));
} else {
  await orchestrate();
}
