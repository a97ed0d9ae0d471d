import { Readable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import type { ClickHouseClient } from '@clickhouse/client';
import { createClickHouseSink, type ClickHouseSinkOptions } from '../../../src/sinks/index.js';
import { deadLetterRow, goldenRow, lakeRow, pendingRow } from '../../helpers/clickhouse-rows.js';

/**
 * The sink's two lanes, against a stand-in that implements only `exec` (what the sink sends its
 * inserts with) and can hold the inserts of one table until released: a real server cannot be
 * made to stall one table on demand. The tables themselves are tested against chDB in
 * test/integration/sinks.
 */
function gatedClient() {
  const inserts: string[] = [];
  const gates = new Map<string, { open: Promise<void>; release: () => void }>();
  const client = {
    async exec(params: { query: string; values: Readable }) {
      for await (const _chunk of params.values);
      const table = /^INSERT INTO `[^`]+`\.`([^`]+)` /.exec(params.query)![1]!;
      await gates.get(table)?.open;
      inserts.push(table);
      return { stream: Readable.from([]), query_id: 'q', response_headers: {} };
    },
  } as unknown as ClickHouseClient;
  return {
    client,
    inserts,
    /** Holds every insert into `table` until the returned function is called. */
    hold(table: string): () => void {
      let release!: () => void;
      const open = new Promise<void>((resolve) => (release = resolve));
      gates.set(table, { open, release });
      return () => {
        gates.delete(table);
        release();
      };
    },
  };
}

const logger = pino({ level: 'silent' });
const settle = () => new Promise((resolve) => setImmediate(resolve));

function sinkOn(client: ClickHouseClient, options: Partial<ClickHouseSinkOptions> = {}) {
  return createClickHouseSink({ client, logger, database: 'db', flushIntervalMs: 3_600_000, goldenIntervalMs: 3_600_000, ...options });
}

describe('ClickHouse sink lanes', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a commit-lane flush stores lake, pending and dead-letter rows without waiting for a golden insert', async () => {
    const { client, inserts, hold } = gatedClient();
    const sink = sinkOn(client);
    const flushed: number[] = [];
    sink.onFlushed((at) => flushed.push(at));
    const releaseGolden = hold('golden_orders');
    sink.writeEvents([lakeRow('SO-1', 1)]);
    sink.writeGolden([goldenRow('SO-1', 1)]);
    const everything = sink.flush();
    await settle();
    expect(inserts).toEqual(['lake_events']); // the golden insert is held

    sink.writeEvents([lakeRow('SO-1', 2)]);
    sink.writePendingShipments([pendingRow('SF1', 1)]);
    sink.writeDeadLetters([deadLetterRow(1)]);
    await sink.flushCommitLane();
    expect(inserts).toEqual(['lake_events', 'lake_events', 'pending_shipment_events', 'dead_letters']);
    expect(flushed).toEqual([]); // no golden flush has completed
    expect(sink.pendingRows()).toBe(1);

    releaseGolden();
    await everything;
    expect(inserts.at(-1)).toBe('golden_orders');
    expect(flushed).toHaveLength(1);
    expect(sink.pendingRows()).toBe(0);
    await sink.close();
  });

  it('a golden flush stores its rows only after the lake rows written before it', async () => {
    const { client, inserts, hold } = gatedClient();
    const sink = sinkOn(client);
    const releaseLake = hold('lake_events');
    sink.writeEvents([lakeRow('SO-1', 1)]);
    sink.writeGolden([goldenRow('SO-1', 1)]);
    sink.writeCases([]);
    const flushing = sink.flush();
    await settle();
    expect(inserts).toEqual([]);
    releaseLake();
    await flushing;
    expect(inserts).toEqual(['lake_events', 'golden_orders']);
    await sink.close();
  });

  it('a flush called while a golden flush runs also waits for lake rows a later commit flush is storing', async () => {
    const { client, inserts, hold } = gatedClient();
    const sink = sinkOn(client);
    const releaseGolden = hold('golden_orders');
    sink.writeEvents([lakeRow('SO-1', 1)]);
    sink.writeGolden([goldenRow('SO-1', 1)]);
    const first = sink.flush();
    await settle();
    const releaseLake = hold('lake_events');
    sink.writeEvents([lakeRow('SO-1', 2)]);
    const commit = sink.flushCommitLane(); // takes row 2, which the running golden flush does not cover
    const second = sink.flush();
    expect(second).not.toBe(first);
    let secondDone = false;
    void second.then(() => (secondDone = true));
    releaseGolden();
    await first;
    await settle();
    expect(secondDone).toBe(false);
    releaseLake();
    await Promise.all([commit, second]);
    expect(inserts).toEqual(['lake_events', 'golden_orders', 'lake_events']);
    await sink.close();
  });

  it('hands coalesced rows over and reports a flush only on the golden lane', async () => {
    const { client, inserts } = gatedClient();
    let wall = 1_000;
    const sink = sinkOn(client, { wallClock: () => wall });
    let collected = 0;
    let dirty = true;
    const flushed: number[] = [];
    sink.onBeforeFlush(() => {
      collected++;
      if (dirty) sink.writeGolden([goldenRow('SO-1', 1)]);
      dirty = false;
    });
    sink.onFlushed((at) => flushed.push(at));

    sink.writeEvents([lakeRow('SO-1', 1)]);
    await sink.flushCommitLane();
    expect({ collected, flushed, inserts }).toEqual({ collected: 0, flushed: [], inserts: ['lake_events'] });

    wall = 2_000;
    await sink.flush();
    expect(collected).toBe(1);
    expect(flushed).toEqual([2_000]);
    expect(inserts).toEqual(['lake_events', 'golden_orders']);
    await sink.close();
  });

  it('flushes golden rows on their own timer, by default at most one second behind', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { client, inserts } = gatedClient();
    const sink = createClickHouseSink({ client, logger, database: 'db', flushIntervalMs: 60_000 });
    let dirty = false;
    sink.onBeforeFlush(() => {
      if (dirty) sink.writeGolden([goldenRow('SO-1', 1)]);
      dirty = false;
    });
    sink.writeEvents([lakeRow('SO-1', 1)]);
    dirty = true; // as the merge stage holds the order's newest golden row back
    await vi.advanceTimersByTimeAsync(999);
    expect(inserts).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await vi.waitFor(() => expect(inserts).toEqual(['lake_events', 'golden_orders']));
    expect(sink.pendingRows()).toBe(0);
    await sink.close();
  });

  it('follows the flush interval when it is shorter than a second', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { client, inserts } = gatedClient();
    const sink = createClickHouseSink({ client, logger, database: 'db', flushIntervalMs: 200 });
    sink.writeGolden([goldenRow('SO-1', 1)]);
    await vi.advanceTimersByTimeAsync(199);
    expect(inserts).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await vi.waitFor(() => expect(inserts).toEqual(['golden_orders']));
    await sink.close();
  });

  it('close stores both lanes, the collectors\' last rows included', async () => {
    const { client, inserts } = gatedClient();
    const sink = sinkOn(client);
    let held = true;
    sink.onBeforeFlush(() => {
      if (held) sink.writeGolden([goldenRow('SO-1', 1)]);
      held = false;
    });
    sink.writeEvents([lakeRow('SO-1', 1)]);
    sink.writeCases([]);
    await sink.close();
    expect(inserts).toEqual(['lake_events', 'golden_orders']);
    expect(sink.pendingRows()).toBe(0);
  });

  it('refuses a golden interval that is not positive', () => {
    const { client } = gatedClient();
    expect(() => sinkOn(client, { goldenIntervalMs: 0 })).toThrow(expect.objectContaining({ code: 'OL_ERR_CONFIG_INVALID' }));
  });
});
