import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClickHouseClient, ensureDatabase, type ClickHouseClient } from '../../src/sinks/index.js';

/**
 * chDB binds one data directory per process, so every test in a process shares this one and
 * isolates itself with a random database instead (clickhouse-js' `createRandomDatabase` idea).
 */
export function chdbTestPath(): string {
  return path.join(tmpdir(), `orderlake-test-chdb-${process.pid}`);
}

let shared: ClickHouseClient | null = null;

/** The process's chDB client (created on first use). Close it with {@link closeTestClient}. */
export function testClickHouseClient(): ClickHouseClient {
  shared ??= createClickHouseClient({ database: 'default', dataPath: chdbTestPath() });
  return shared;
}

/** Closes the shared client and deletes the process's chDB directory. */
export async function closeTestClient(): Promise<void> {
  if (shared === null) return;
  const client = shared;
  shared = null;
  await client.close();
  await rm(chdbTestPath(), { recursive: true, force: true });
}

export interface TestDatabase {
  client: ClickHouseClient;
  database: string;
  drop(): Promise<void>;
}

/** A fresh database with a random name on the shared chDB client; `drop()` removes it. */
export async function createTestDatabase(prefix = 'orderlake_test'): Promise<TestDatabase> {
  const client = testClickHouseClient();
  const database = `${prefix}_${randomBytes(6).toString('hex')}`;
  await ensureDatabase(client, database);
  return {
    client,
    database,
    drop: async () => {
      await client.command({ query: `DROP DATABASE IF EXISTS \`${database}\` SYNC` });
    },
  };
}

/** A one-value query, for assertions. */
export async function scalar(client: ClickHouseClient, query: string, params: Record<string, unknown> = {}): Promise<number> {
  const rows = await (await client.query({ query, query_params: params, format: 'JSONEachRow' })).json<Record<string, unknown>>();
  return Number(Object.values(rows[0] ?? {})[0]);
}
