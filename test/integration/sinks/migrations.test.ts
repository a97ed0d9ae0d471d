import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { isOrderlakeError } from '../../../src/errors.js';
import { listAppliedMigrations, MIGRATIONS, runMigrations, TABLES, type Migration } from '../../../src/sinks/index.js';
import { closeTestClient, createTestDatabase, type TestDatabase } from '../../helpers/clickhouse-test-db.js';

const logger = pino({ level: 'silent' });

describe('runMigrations (chDB)', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await db.drop();
  });
  afterAll(async () => {
    await closeTestClient();
  });

  async function tablesOf(database: string): Promise<string[]> {
    const rs = await db.client.query({
      query: 'SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name',
      query_params: { db: database },
      format: 'JSONEachRow',
    });
    return (await rs.json<{ name: string }>()).map((r) => r.name);
  }

  it('creates every table and records every version', async () => {
    const result = await runMigrations({ client: db.client, database: db.database, logger });
    expect(result.applied).toEqual(MIGRATIONS.map((m) => m.version));
    // Every table and view orderlake names, and nothing else.
    expect(await tablesOf(db.database)).toEqual([...new Set<string>(Object.values(TABLES))].sort());
    const applied = await listAppliedMigrations(db);
    expect(applied.map((m) => [m.version, m.name])).toEqual(MIGRATIONS.map((m) => [m.version, m.name]));
    for (const m of applied) expect(m.appliedAt).toBeGreaterThan(Date.UTC(2020, 0, 1));
  });

  it('is a no-op the second time', async () => {
    await runMigrations({ client: db.client, database: db.database, logger });
    const second = await runMigrations({ client: db.client, database: db.database, logger });
    expect(second.applied).toEqual([]);
    expect(await listAppliedMigrations(db)).toHaveLength(MIGRATIONS.length);
  });

  it('creates the database when it is missing', async () => {
    const database = `${db.database}_fresh`;
    try {
      await runMigrations({ client: db.client, database, logger });
      expect(await tablesOf(database)).toContain(TABLES.golden);
    } finally {
      await db.client.command({ query: `DROP DATABASE IF EXISTS \`${database}\` SYNC` });
    }
  });

  it('stops at a failing migration with OL_ERR_MIGRATION naming it, keeping the ones before', async () => {
    const migrations: Migration[] = [
      { version: 1, name: 'good_one', statements: (d) => [`CREATE TABLE IF NOT EXISTS \`${d}\`.t1 (a UInt8) ENGINE = MergeTree ORDER BY a`] },
      { version: 2, name: 'broken_one', statements: (d) => [`CREATE TABLE \`${d}\`.t2 (a NoSuchType) ENGINE = MergeTree ORDER BY a`] },
      { version: 3, name: 'never_reached', statements: (d) => [`CREATE TABLE \`${d}\`.t3 (a UInt8) ENGINE = MergeTree ORDER BY a`] },
    ];
    const error = await runMigrations({ client: db.client, database: db.database, logger, migrations }).catch((e: unknown) => e);
    expect(isOrderlakeError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'OL_ERR_MIGRATION', context: { migration: 'broken_one', version: 2 } });
    expect((error as Error).message).toContain('broken_one');
    expect((await listAppliedMigrations(db)).map((m) => m.version)).toEqual([1]);
    expect(await tablesOf(db.database)).not.toContain('t3');

    migrations[1] = { version: 2, name: 'broken_one', statements: (d) => [`CREATE TABLE IF NOT EXISTS \`${d}\`.t2 (a UInt8) ENGINE = MergeTree ORDER BY a`] };
    const retried = await runMigrations({ client: db.client, database: db.database, logger, migrations });
    expect(retried.applied).toEqual([2, 3]);
  });

  it('refuses migrations whose versions do not rise', async () => {
    const migrations: Migration[] = [
      { version: 2, name: 'b', statements: () => [] },
      { version: 1, name: 'a', statements: () => [] },
    ];
    await expect(runMigrations({ client: db.client, database: db.database, logger, migrations })).rejects.toMatchObject({
      code: 'OL_ERR_MIGRATION',
    });
  });
});
