import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { ClickHouseError, type ClickHouseClient } from '@clickhouse/client';
import { createClickHouseSink, type FlushStats } from '../../../src/sinks/index.js';
import { goldenRow, lakeRow } from '../../helpers/clickhouse-rows.js';

/**
 * The sink's retry and bookkeeping, against a stand-in that implements only `exec` (what the sink
 * sends a server its pre-serialized inserts with) and fails on cue: a real server cannot be made
 * to fail transiently on demand. Everything else about the sink is tested against real chDB in
 * test/integration/sinks.
 */
function flakyClient(failures: ClickHouseError[]): { client: ClickHouseClient; inserts: Array<{ table: string; rows: number }> } {
  const inserts: Array<{ table: string; rows: number }> = [];
  const client = {
    async exec(params: { query: string; values: Readable }) {
      let body = '';
      for await (const chunk of params.values) body += String(chunk);
      const failure = failures.shift();
      if (failure) throw failure;
      const table = /^INSERT INTO (\S+) /.exec(params.query)![1]!;
      inserts.push({ table, rows: body.split('\n').filter((line) => line !== '').length });
      return { stream: Readable.from([]), query_id: 'q', response_headers: {} };
    },
  } as unknown as ClickHouseClient;
  return { client, inserts };
}

const tooManyParts = (): ClickHouseError => new ClickHouseError({ message: 'Too many parts', code: '252', type: 'TOO_MANY_PARTS' });
const logger = pino({ level: 'silent' });
const noWait = async (): Promise<void> => {};

describe('ClickHouse sink retries', () => {
  it('retries a transient insert failure and reports one acknowledged insert', async () => {
    const { client, inserts } = flakyClient([tooManyParts(), tooManyParts()]);
    const stats: FlushStats[] = [];
    const sink = createClickHouseSink({
      client,
      logger,
      database: 'db',
      flushIntervalMs: 3_600_000,
      retry: { retries: 3, baseMs: 1, maxMs: 1, sleep: noWait },
      onFlush: (s) => stats.push(s),
    });
    sink.writeEvents([lakeRow('SO-1', 1), lakeRow('SO-1', 2)]);
    await sink.flush();
    expect(inserts).toEqual([{ table: '`db`.`lake_events`', rows: 2 }]);
    expect(stats).toEqual([{ table: 'lake_events', rows: 2, ms: expect.any(Number) }]);
    await sink.close();
  });

  it('rejects after the last retry, keeps every row, and writes lake rows before golden rows later', async () => {
    const { client, inserts } = flakyClient([tooManyParts(), tooManyParts(), tooManyParts()]);
    const sink = createClickHouseSink({
      client,
      logger,
      database: 'db',
      batchRows: 2,
      flushIntervalMs: 3_600_000,
      retry: { retries: 2, baseMs: 1, maxMs: 1, sleep: noWait },
    });
    sink.writeGolden([goldenRow('SO-1', 1)]);
    sink.writeEvents([lakeRow('SO-1', 1)]);
    await expect(sink.flush()).rejects.toMatchObject({ code: 'OL_ERR_CLICKHOUSE', retriable: true });
    expect(inserts).toEqual([]);
    expect(sink.pendingRows()).toBe(2);
    await sink.flush();
    expect(inserts).toEqual([
      { table: '`db`.`lake_events`', rows: 1 },
      { table: '`db`.`golden_orders`', rows: 1 },
    ]);
    expect(sink.pendingRows()).toBe(0);
    await sink.close();
  });

  it('puts a failed chunk back ahead of newer rows, keeping the acknowledged chunks out', async () => {
    const failures: ClickHouseError[] = [];
    const { client, inserts } = flakyClient(failures);
    const sink = createClickHouseSink({
      client,
      logger,
      database: 'db',
      batchRows: 2,
      flushIntervalMs: 3_600_000,
      retry: { retries: 0, baseMs: 1, maxMs: 1, sleep: noWait },
    });
    const originalExec = client.exec.bind(client);
    let calls = 0;
    (client as { exec: typeof client.exec }).exec = async (params) => {
      calls++;
      if (calls === 2) failures.push(tooManyParts());
      return originalExec(params);
    };
    // 2 × batchRows + 1 rows start a flush by themselves: the first chunk lands, the second fails;
    // flush() joins that running flush.
    sink.writeEvents([1, 2, 3, 4, 5].map((n) => lakeRow('SO-1', n)));
    await expect(sink.flush()).rejects.toMatchObject({ code: 'OL_ERR_CLICKHOUSE' });
    expect(inserts).toEqual([{ table: '`db`.`lake_events`', rows: 2 }]);
    expect(sink.pendingRows()).toBe(3);
    await sink.flush();
    expect(inserts.map((i) => i.rows)).toEqual([2, 2, 1]);
    await sink.close();
  });
});
