import { createClient, type ClickHouseClient, type ClickHouseClientConfigOptions } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { quoteIdentifier } from './identifier.js';

export type { ClickHouseClient } from '@clickhouse/client';

/** Where ClickHouse lives: a server (`url`) or chDB, ClickHouse's engine in this process. */
export interface ClickHouseClientConfig {
  /** ClickHouse HTTP(S) URL. Absent: chDB in `dataPath`. */
  url?: string;
  username?: string;
  password?: string;
  /**
   * The orderlake database (checked to be a plain identifier). It is deliberately not made the
   * client's default database: chDB ignores a default database, and a remote server rejects every
   * request naming a database that does not exist yet, `CREATE DATABASE` included. Every orderlake
   * statement names its tables in full instead, so both modes behave alike.
   */
  database: string;
  /**
   * chDB data directory, used when `url` is absent. chDB binds one data directory per process:
   * opening a second, different directory while a client is open throws.
   */
  dataPath: string;
}

/**
 * The only place a ClickHouse client is made; the composition root and tests call it, stages get
 * the client handed in. Remote and embedded share the `@clickhouse/client` API, so nothing
 * downstream knows which one it talks to.
 */
export function createClickHouseClient(config: ClickHouseClientConfig): ClickHouseClient {
  quoteIdentifier(config.database);
  if (config.url !== undefined && config.url !== '') {
    return createClient({
      url: config.url,
      ...(config.username !== undefined ? { username: config.username } : {}),
      ...(config.password !== undefined ? { password: config.password } : {}),
    });
  }
  return createClient({ connection: createChdbConnection({ path: config.dataPath }) as unknown as EmbeddedConnection });
}

/**
 * chdb 3.4 types its connection against @clickhouse/client-common 1.23.0 while the client bundles
 * its own copy of the same interface (1.23.1), and their settings maps differ by a key or two;
 * the runtime contract is the same, so the connection is re-typed once, here.
 */
type EmbeddedConnection = NonNullable<ClickHouseClientConfigOptions['connection']>;

/** Creates the database when missing; safe to call on every start. */
export async function ensureDatabase(client: ClickHouseClient, name: string): Promise<void> {
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(name)}` });
}
