import { Readable } from 'node:stream';
import { createClient, type ClickHouseClient, type ClickHouseClientConfigOptions } from '@clickhouse/client';
import { createChdbConnection, type ChdbConnection } from 'chdb/connection';
import { qualifiedTable, quoteIdentifier } from './identifier.js';

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
  const connection = createChdbConnection({ path: config.dataPath });
  const client = createClient({ connection: connection as unknown as EmbeddedConnection });
  embeddedConnections.set(client, connection);
  return client;
}

/** The chDB connection behind each embedded client, for its zero-copy insert. */
const embeddedConnections = new WeakMap<ClickHouseClient, ChdbConnection>();

/** A `JSONCompactEachRow` body ready to insert, and where it goes. */
export interface EncodedInsert {
  database: string;
  table: string;
  /** Column names, plain (not back-quoted). */
  columns: readonly string[];
  /** One JSON array per line, in `columns` order (see `encodeJsonCompactRows`). */
  body: Buffer;
}

/** Objects in a row are read into `String` columns as their JSON text (see `encodeJsonCompactRows`). */
const INSERT_SETTINGS = { input_format_json_read_objects_as_strings: 1 } as const;

/**
 * Inserts a pre-serialized body. On chDB the Buffer is handed to the engine as it is, and parsed
 * off the event loop (the client's own `insert` serializes every row and joins the body into one
 * string on the loop); on a server it is streamed as the request body of the `INSERT`.
 */
export async function insertEncoded(client: ClickHouseClient, insert: EncodedInsert): Promise<void> {
  const embedded = embeddedConnections.get(client);
  if (embedded !== undefined) {
    await embedded.chdb.rawInsert({
      table: `${insert.database}.${insert.table}`,
      columns: insert.columns,
      values: insert.body,
      format: 'JSONCompactEachRow',
      settings: INSERT_SETTINGS,
    });
    return;
  }
  const columns = insert.columns.map(quoteIdentifier).join(', ');
  const result = await client.exec({
    query: `INSERT INTO ${qualifiedTable(insert.database, insert.table)} (${columns}) FORMAT JSONCompactEachRow`,
    values: Readable.from([insert.body]),
    clickhouse_settings: INSERT_SETTINGS,
  });
  // The response body is empty; reading it to the end releases the connection.
  for await (const _ of result.stream) void _;
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

/** Drops a database and everything in it (a replay starts from an empty lake). */
export async function dropDatabase(client: ClickHouseClient, name: string): Promise<void> {
  await client.command({ query: `DROP DATABASE IF EXISTS ${quoteIdentifier(name)}` });
}
