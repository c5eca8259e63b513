// Fault injection on a private PostgreSQL cluster (never the shared one): the postmaster killed with SIGKILL under
// load through the demo and every adapter.

import pg from "pg";
import { postgresStore } from "tessera/stores/postgres";
import { describeServerKill } from "./servers/fault-suite.js";
import { startPostgresServer } from "./servers/postgres-server.js";

/** Pool size of each counter app's store; the demo's store keeps its default of 10. */
const appPoolSize = 4;

/** Backends serving tessera's pools (their application_name), counted by a connection of the test's own. */
async function tesseraBackends(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url, application_name: "tessera-faults-probe" });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'tessera'");
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}

describeServerKill("PostgreSQL", {
  start: () => startPostgresServer(),
  store: (server) => postgresStore({ url: server.url, maxConnections: appPoolSize, gcInterval: false }),
  connections: (server) => tesseraBackends(server.url),
  maxConnections: 4 * appPoolSize + 10,
});
