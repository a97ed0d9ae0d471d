import path from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { expect } from 'vitest';
import { createClickHouseClient } from '../../src/sinks/index.js';
import { expectGoldenChangelog, type ChangelogCounts, type ChangelogSource } from './golden-changelog.js';

/** The newest golden view of every live order in ClickHouse (FINAL: ReplacingMergeTree collapsed). */
export async function readGoldenTable(client: ClickHouseClient, database: string): Promise<Map<string, Record<string, unknown>>> {
  const rs = await client.query({
    query: `SELECT order_id, view FROM ${database}.golden_orders FINAL WHERE is_deleted = 0 ORDER BY order_id`,
    format: 'JSONEachRow',
  });
  const rows = (await rs.json()) as Array<{ order_id: string; view: string }>;
  return new Map(rows.map((r) => [r.order_id, JSON.parse(r.view) as Record<string, unknown>]));
}

/** Dead letters with their (base64) keys decoded. */
export async function readDeadLetters(
  client: ClickHouseClient,
  database: string,
): Promise<Array<{ key: string; code: string; topic: string; stage: string; partition: number; offset: string; value: string }>> {
  const rs = await client.query({ query: `SELECT key, code, topic, stage, partition, offset, value FROM ${database}.dead_letters`, format: 'JSONEachRow' });
  const rows = (await rs.json()) as Array<{ key: string; code: string; topic: string; stage: string; partition: number; offset: string; value: string }>;
  return rows.map((r) => ({ ...r, key: Buffer.from(r.key, 'base64').toString('utf8') }));
}

/** Lake rows after collapsing re-deliveries, and how many distinct event identities they hold. */
export async function lakeCounts(client: ClickHouseClient, database: string): Promise<{ rows: number; distinct: number }> {
  const rs = await client.query({
    query: `SELECT count() AS rows, uniqExact(order_id, event_uid) AS distinct FROM ${database}.lake_events FINAL WHERE order_id != ''`,
    format: 'JSONEachRow',
  });
  const [row] = (await rs.json()) as Array<{ rows: string | number; distinct: string | number }>;
  return { rows: Number(row!.rows), distinct: Number(row!.distinct) };
}

/** The golden table holds exactly the expected orders, each equal to its expected view (version and updated_at aside). */
export async function expectGoldenTableEquals(
  client: ClickHouseClient,
  database: string,
  expected: ReadonlyMap<string, Record<string, unknown> | object>,
): Promise<void> {
  const golden = await readGoldenTable(client, database);
  expect([...golden.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [orderId, view] of expected) {
    const { version: _v, updated_at: _u, ...body } = golden.get(orderId) as Record<string, unknown>;
    expect(body, orderId).toEqual(view);
  }
}

/** The exception rule that must hold a case for an order whose final view carries the code. */
const RULE_OF_CODE: Readonly<Record<string, string>> = {
  SHORT_PICK: 'short-pick',
  DELIVERY_EXCEPTION: 'carrier-exception',
  CANCELLED_AFTER_SHIPMENT: 'cancelled-after-shipment',
  SHIPPED_AFTER_CANCELLATION: 'cancelled-after-shipment',
};

/**
 * The health stage ran on the workers: every order whose final view carries an exception code has
 * its rule's case stored, every stored case belongs to an order of the scenario, and the workers
 * (which run the order rules) stored no source or shipment case.
 */
export async function expectExceptionCases(client: ClickHouseClient, database: string, expected: ReadonlyMap<string, Record<string, unknown> | object>): Promise<void> {
  const rs = await client.query({ query: `SELECT case_id, rule, subject, order_id FROM ${database}.exception_cases FINAL`, format: 'JSONEachRow' });
  const cases = (await rs.json()) as Array<{ case_id: string; rule: string; subject: string; order_id: string | null }>;
  expect(cases.filter((c) => c.subject !== 'order')).toEqual([]);
  const held = new Set(cases.map((c) => `${c.order_id}/${c.rule}`));
  const wanted: string[] = [];
  for (const [orderId, view] of expected) {
    for (const code of ((view as { exceptions?: string[] }).exceptions ?? [])) {
      const rule = RULE_OF_CODE[code];
      if (rule !== undefined) wanted.push(`${orderId}/${rule}`);
    }
  }
  expect(wanted.length).toBeGreaterThan(0);
  expect(wanted.filter((w) => !held.has(w))).toEqual([]);
  // Orders the CRM deleted keep the cases they had; every case is about an order of the run.
  const ordersOfRun = new Set(expected.keys());
  const orphans = cases.filter((c) => c.order_id === null || (!ordersOfRun.has(c.order_id) && !c.order_id.startsWith('SO-')));
  expect(orphans).toEqual([]);
}

/**
 * What every Kafka worker test promises at its end, read from the worker's chDB directory: the
 * golden table equals the pure merge, the lake holds each event once, every malformed message is
 * a dead letter with its code, and the stages behind ingest gave up nothing (no merge or link
 * dead letters: orders asleep woke for their late events, internal messages were all readable).
 * With `changelog`, the worker's golden changelog topic must also carry exactly the golden table's
 * versions (see `expectGoldenChangelog`).
 */
export async function expectExactWorkerResult(opts: {
  dataDir: string;
  database: string;
  expected: ReadonlyMap<string, Record<string, unknown> | object>;
  malformed: ReadonlyArray<{ key: string; expectedCode: string }>;
  changelog?: ChangelogSource;
}): Promise<{ changelog?: ChangelogCounts }> {
  const client = createClickHouseClient({ database: opts.database, dataPath: path.join(opts.dataDir, 'lake') });
  try {
    await expectGoldenTableEquals(client, opts.database, opts.expected);
    const lake = await lakeCounts(client, opts.database);
    expect(lake.rows).toBe(lake.distinct);
    const dead = await readDeadLetters(client, opts.database);
    for (const m of opts.malformed) expect(dead.some((d) => d.key === m.key && d.code === m.expectedCode), m.key).toBe(true);
    expect(dead.filter((d) => d.stage === 'merge' || d.stage === 'link')).toEqual([]);
    await expectExceptionCases(client, opts.database, opts.expected);
    return opts.changelog ? { changelog: await expectGoldenChangelog(client, opts.database, opts.changelog) } : {};
  } finally {
    await client.close();
  }
}
