import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import { OrderlakeError } from '../../errors.js';
import { withRetry, type RetryOptions } from '../../retry.js';
import { toClickHouseError } from './clickhouse-errors.js';
import { CASE_ENCODING, type CaseRow } from './case-row.js';
import { DEAD_LETTER_ENCODING, type DeadLetterRow } from './dead-letter-row.js';
import { GOLDEN_ENCODING, type GoldenRow } from './golden-row.js';
import { insertEncoded } from './client.js';
import { quoteIdentifier } from './identifier.js';
import { LAKE_ENCODING, type LakeRow } from './lake-row.js';
import { PENDING_SHIPMENT_ENCODING, type PendingShipmentRow } from './pending-shipment-row.js';
import { encodeJsonCompactRows } from './row-body.js';
import type { TableEncoding } from './table-encoding.js';

/** One acknowledged insert, for metrics. */
export interface FlushStats {
  table: string;
  rows: number;
  /** From the first attempt to the acknowledgement, retries included, in `now()` units (ms). */
  ms: number;
}

export interface ClickHouseSinkOptions {
  client: ClickHouseClient;
  logger: Logger;
  database: string;
  /** Rows per insert, and the buffer size of one table that starts a flush. Default 5000. */
  batchRows?: number;
  /** Longest time a buffered row waits for a flush, ms. Default 200. */
  flushIntervalMs?: number;
  /** Clock in ms, used to time inserts. Default `performance.now`. */
  now?: () => number;
  /** Wall clock (epoch ms) of `onFlushed`. Default `Date.now`. */
  wallClock?: () => number;
  /** Called after every acknowledged insert. */
  onFlush?: (stats: FlushStats) => void;
  /** Backoff for transient insert failures. Default: 5 retries, 100 ms doubling up to 5 s. */
  retry?: Pick<RetryOptions, 'retries' | 'baseMs' | 'maxMs' | 'sleep'>;
}

/**
 * Micro-batched writes to the lake, golden, pending-shipment, dead-letter and case tables. `write*`
 * only buffers; a row counts as stored once a `flush()` started after it has resolved — which is
 * when Kafka offsets may be committed. A `write*` call whose rows do not all fit their table
 * throws `OL_ERR_SINK_ROW_INVALID` and buffers none of them.
 */
export interface ClickHouseSink {
  writeEvents(rows: readonly LakeRow[]): void;
  writeGolden(rows: readonly GoldenRow[]): void;
  writeDeadLetters(rows: readonly DeadLetterRow[]): void;
  writePendingShipments(rows: readonly PendingShipmentRow[]): void;
  /** Exception case versions (the health stage). */
  writeCases(rows: readonly CaseRow[]): void;
  /**
   * Resolves once every row written before the call is acknowledged by ClickHouse; concurrent
   * callers share one flush. Rejects when an insert still fails after its retries; the rows that
   * were not acknowledged stay buffered for the next flush, never dropped.
   */
  flush(): Promise<void>;
  /** Stops the timer and flushes what is left; writing afterwards throws. */
  close(): Promise<void>;
  /** Rows not yet acknowledged (buffered or in an insert that has not finished). */
  pendingRows(): number;
  /**
   * Registers a callback run at the start of every flush, before anything is inserted: a writer
   * that coalesces rows (the merge stage keeps only the newest golden version of each order per
   * flush) hands them over there, so a hot order costs one row per flush, not one per change.
   */
  onBeforeFlush(collect: () => void): void;
  /**
   * Registers a callback run after every successful flush with the wall-clock time (epoch ms) it
   * started at: every row written before that moment is acknowledged by ClickHouse.
   */
  onFlushed(acknowledged: (writtenBefore: number) => void): void;
}

interface TableBuffer<Row> {
  encoding: TableEncoding<Row>;
  rows: Row[];
  /** Rows taken by the running flush and not acknowledged yet. */
  inFlight: number;
}

const DEFAULT_RETRY = { retries: 5, baseMs: 100, maxMs: 5_000 };

/**
 * Builds the sink. Each insert is a `JSONCompactEachRow` body serialized in slices that yield to the
 * event loop, then handed to ClickHouse whole (see `insertEncoded`, `TableEncoding`).
 */
export function createClickHouseSink(options: ClickHouseSinkOptions): ClickHouseSink {
  const { client, logger, database, onFlush } = options;
  const batchRows = options.batchRows ?? 5000;
  const flushIntervalMs = options.flushIntervalMs ?? 200;
  const now = options.now ?? (() => performance.now());
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  quoteIdentifier(database); // a bad name fails here, not at the first flush
  if (!Number.isInteger(batchRows) || batchRows < 1) throw new OrderlakeError('OL_ERR_CONFIG_INVALID', `batchRows must be a positive integer, got ${batchRows}`);

  const buffer = <Row>(encoding: TableEncoding<Row>): TableBuffer<Row> => ({
    encoding,
    rows: [],
    inFlight: 0,
  });
  const lake = buffer(LAKE_ENCODING);
  const pending = buffer(PENDING_SHIPMENT_ENCODING);
  const deadLetters = buffer(DEAD_LETTER_ENCODING);
  const golden = buffer(GOLDEN_ENCODING);
  const cases = buffer(CASE_ENCODING);
  // Lake rows go first: a golden version must never be stored without the events behind it,
  // since a takeover rebuilds the state from those events.
  const buffers: TableBuffer<unknown>[] = [lake, pending, deadLetters, golden, cases] as TableBuffer<unknown>[];

  const collectors: Array<() => void> = [];
  const flushedListeners: Array<(writtenBefore: number) => void> = [];
  const wallClock = options.wallClock ?? Date.now;
  const collect = (): void => {
    for (const c of collectors) c();
  };
  let running: Promise<void> | null = null;
  let next: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  const buffered = (): number => buffers.reduce((n, b) => n + b.rows.length, 0);

  function armTimer(): void {
    if (timer !== null || closed) return;
    timer = setTimeout(() => {
      timer = null;
      if (buffered() > 0) flushInBackground('interval');
    }, flushIntervalMs);
    timer.unref();
  }

  function flushInBackground(reason: string): void {
    flush().catch((err: unknown) => {
      logger.error({ err, reason, pendingRows: buffered() }, 'ClickHouse flush failed; the rows stay buffered');
      armTimer();
    });
  }

  function write<Row>(target: TableBuffer<Row>, rows: readonly Row[]): void {
    if (closed) throw new OrderlakeError('OL_ERR_CLICKHOUSE', 'the ClickHouse sink is closed', { retriable: false });
    if (rows.length === 0) return;
    for (let i = 0; i < rows.length; i++) {
      const problem = target.encoding.check(rows[i]!);
      if (problem !== undefined) {
        throw new OrderlakeError('OL_ERR_SINK_ROW_INVALID', `row ${i} of ${rows.length} for ${target.encoding.table} does not fit: ${problem}`, {
          context: { table: target.encoding.table, row: i },
        });
      }
    }
    for (const row of rows) target.rows.push(row);
    if (target.rows.length < batchRows) armTimer();
    else if (next === null) flushInBackground('batch full');
  }

  async function insert<Row>(target: TableBuffer<Row>, rows: Row[]): Promise<void> {
    const { table, columns } = target.encoding;
    const started = now();
    const body = await encodeJsonCompactRows(rows, target.encoding.values);
    await withRetry(
      async () => {
        try {
          await insertEncoded(client, { database, table, columns, body });
        } catch (err) {
          throw toClickHouseError(err, `insert of ${rows.length} rows into ${table} failed`, { table, rows: rows.length });
        }
      },
      {
        ...retry,
        onRetry: (err, attempt, delayMs) => logger.warn({ err, table, rows: rows.length, attempt, delayMs }, 'ClickHouse insert failed; retrying'),
      },
    );
    try {
      onFlush?.({ table, rows: rows.length, ms: now() - started });
    } catch (err) {
      logger.warn({ err, table }, 'onFlush callback failed');
    }
  }

  async function drain(): Promise<void> {
    const startedAt = wallClock();
    collect();
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    const taken = buffers.map((b) => {
      const rows = b.rows;
      b.rows = [];
      b.inFlight = rows.length;
      return rows;
    });
    let failure: unknown = null;
    for (let i = 0; i < buffers.length; i++) {
      const target = buffers[i]!;
      const rows = taken[i]!;
      let done = 0;
      if (failure === null) {
        try {
          for (; done < rows.length; done += batchRows) {
            await insert(target, rows.slice(done, done + batchRows));
            target.inFlight = Math.max(0, rows.length - done - batchRows);
          }
        } catch (err) {
          failure = err;
        }
      }
      if (done < rows.length) target.rows = rows.slice(done).concat(target.rows);
      target.inFlight = 0;
    }
    if (failure !== null) throw failure;
    for (const listener of flushedListeners) {
      try {
        listener(startedAt);
      } catch (err) {
        logger.warn({ err }, 'onFlushed callback failed');
      }
    }
    if (buffered() > 0) armTimer();
  }

  function flush(): Promise<void> {
    collect();
    if (running === null) {
      if (buffered() === 0) return Promise.resolve();
      running = drain().finally(() => {
        running = null;
      });
      return running;
    }
    if (buffered() === 0) return running;
    next ??= running
      .catch(() => undefined)
      .then(() => {
        next = null;
        return flush();
      });
    return next;
  }

  return {
    writeEvents: (rows) => write(lake, rows),
    writeGolden: (rows) => write(golden, rows),
    writeDeadLetters: (rows) => write(deadLetters, rows),
    writePendingShipments: (rows) => write(pending, rows),
    writeCases: (rows) => write(cases, rows),
    flush,
    async close() {
      collect(); // coalescing writers hand over their last rows while writes are still allowed
      closed = true;
      if (timer !== null) {
        clearTimeout(timer);
        timer = null;
      }
      await flush();
    },
    pendingRows: () => buffers.reduce((n, b) => n + b.rows.length + b.inFlight, 0),
    onBeforeFlush(c) {
      collectors.push(c);
    },
    onFlushed(listener) {
      flushedListeners.push(listener);
    },
  };
}
