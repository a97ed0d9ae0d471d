import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import { OrderlakeError } from '../../errors.js';
import { withRetry, type RetryOptions } from '../../retry.js';
import { toClickHouseError } from './clickhouse-errors.js';
import { CASE_ENCODING, type CaseRow } from './case-row.js';
import { DEAD_LETTER_ENCODING, type DeadLetterRow } from './dead-letter-row.js';
import { GOLDEN_ENCODING, type GoldenRow } from './golden-row.js';
import { insertEncoded, type EncodedInsert } from './client.js';
import { quoteIdentifier } from './identifier.js';
import { LAKE_ENCODING, type LakeRow } from './lake-row.js';
import { PENDING_SHIPMENT_ENCODING, type PendingShipmentRow } from './pending-shipment-row.js';
import { RAW_EVENT_ENCODING, type RawEventRow } from './raw-event-row.js';
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
  /** Rows per insert, and the buffer size of one table that starts a flush of its lane. Default 5000. */
  batchRows?: number;
  /** Longest time a buffered lake, pending-shipment or dead-letter row waits for a flush, ms. Default 200. */
  flushIntervalMs?: number;
  /**
   * Longest time a golden or case row waits for its flush, ms: how far the golden table may be
   * behind the merge. Default `flushIntervalMs`, at most 1000.
   */
  goldenIntervalMs?: number;
  /** Clock in ms, used to time inserts. Default `performance.now`. */
  now?: () => number;
  /** Wall clock (epoch ms) of `onFlushed`. Default `Date.now`. */
  wallClock?: () => number;
  /** Called after every acknowledged insert. */
  onFlush?: (stats: FlushStats) => void;
  /**
   * How a serialized insert reaches ClickHouse. Default `insertEncoded` on `client`. A test hands in
   * a fault injector that delegates to it (a ClickHouse that goes away for a while).
   */
  insert?: (client: ClickHouseClient, insert: EncodedInsert) => Promise<void>;
  /** Backoff for transient insert failures. Default: 5 retries, 100 ms doubling up to 5 s. */
  retry?: Pick<RetryOptions, 'retries' | 'baseMs' | 'maxMs' | 'sleep'>;
}

/**
 * Micro-batched writes, in two lanes that flush on their own:
 *
 * - the **commit lane** — lake events, pending shipment events, dead letters — is what Kafka
 *   offsets wait for (`flushCommitLane`); a takeover rebuilds an order from its lake events;
 * - the **golden lane** — golden rows (coalesced per order by the merge stage, see
 *   `onBeforeFlush`) and exception cases — follows on its own timer (`goldenIntervalMs`), so no
 *   commit waits for a golden insert. A golden flush stores its rows only once every commit-lane
 *   row written before it started is stored: a golden version is never stored without the events
 *   behind it.
 *
 * `write*` only buffers; a row counts as stored once a flush of its lane started after it has
 * resolved. `flush()` covers both lanes: what to call when everything must be stored (the end of a
 * replay, before reading `golden_orders`). A `write*` call whose rows do not all fit their table
 * throws `OL_ERR_SINK_ROW_INVALID` and buffers none of them.
 */
export interface ClickHouseSink {
  writeEvents(rows: readonly LakeRow[]): void;
  writeGolden(rows: readonly GoldenRow[]): void;
  writeDeadLetters(rows: readonly DeadLetterRow[]): void;
  writePendingShipments(rows: readonly PendingShipmentRow[]): void;
  /** Source messages as they arrived (commit lane: an offset waits for its message's row). */
  writeRawEvents(rows: readonly RawEventRow[]): void;
  /** Exception case versions (the health stage). */
  writeCases(rows: readonly CaseRow[]): void;
  /**
   * Resolves once every row of either lane written before the call — golden rows the merge stage
   * still coalesces included — is acknowledged by ClickHouse; concurrent callers share one flush.
   * Rejects when an insert still fails after its retries; the rows that were not acknowledged stay
   * buffered for the next flush, never dropped.
   */
  flush(): Promise<void>;
  /**
   * Resolves once every lake, pending-shipment and dead-letter row written before the call is
   * acknowledged, without waiting for golden or case rows: what Kafka offsets wait for. Shares and
   * rejects like `flush`.
   */
  flushCommitLane(): Promise<void>;
  /** Stops the timers and flushes what is left in both lanes; writing afterwards throws. */
  close(): Promise<void>;
  /** Rows not yet acknowledged (buffered or in an insert that has not finished), both lanes. */
  pendingRows(): number;
  /**
   * Registers a callback run at the start of every golden-lane flush (and of `flush()`, `close()`),
   * before anything is inserted: a writer that coalesces rows (the merge stage keeps only the newest
   * golden version of each order per flush) hands them over there, so a hot order costs one row per
   * flush, not one per change.
   */
  onBeforeFlush(collect: () => void): void;
  /**
   * Registers a callback run after every successful golden-lane flush with the wall-clock time
   * (epoch ms) it started at: every row of either lane written before that moment (and every row
   * the `onBeforeFlush` collectors handed over then) is acknowledged by ClickHouse.
   */
  onFlushed(acknowledged: (writtenBefore: number) => void): void;
}

interface TableBuffer<Row> {
  encoding: TableEncoding<Row>;
  rows: Row[];
  /** Rows taken by the running flush and not acknowledged yet. */
  inFlight: number;
}

/** Tables flushed together, with the one flush running and the one queued behind it. */
interface Lane {
  name: 'commit' | 'golden';
  buffers: TableBuffer<unknown>[];
  intervalMs: number;
  timer: NodeJS.Timeout | null;
  running: Promise<void> | null;
  next: Promise<void> | null;
}

const DEFAULT_RETRY = { retries: 5, baseMs: 100, maxMs: 5_000 };
/** The golden table follows the merge within this, whatever the flush interval. */
const MAX_GOLDEN_INTERVAL_MS = 1000;

/**
 * Builds the sink. Each insert is a `JSONCompactEachRow` body serialized in slices that yield to the
 * event loop, then handed to ClickHouse whole (see `insertEncoded`, `TableEncoding`).
 */
export function createClickHouseSink(options: ClickHouseSinkOptions): ClickHouseSink {
  const { client, logger, database, onFlush } = options;
  const batchRows = options.batchRows ?? 5000;
  const flushIntervalMs = options.flushIntervalMs ?? 200;
  const goldenIntervalMs = options.goldenIntervalMs ?? Math.min(flushIntervalMs, MAX_GOLDEN_INTERVAL_MS);
  const now = options.now ?? (() => performance.now());
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const send = options.insert ?? insertEncoded;
  quoteIdentifier(database); // a bad name fails here, not at the first flush
  if (!Number.isInteger(batchRows) || batchRows < 1) throw new OrderlakeError('OL_ERR_CONFIG_INVALID', `batchRows must be a positive integer, got ${batchRows}`);
  if (!(goldenIntervalMs > 0)) throw new OrderlakeError('OL_ERR_CONFIG_INVALID', `goldenIntervalMs must be positive, got ${goldenIntervalMs}`);

  const buffer = <Row>(encoding: TableEncoding<Row>): TableBuffer<Row> => ({
    encoding,
    rows: [],
    inFlight: 0,
  });
  const lake = buffer(LAKE_ENCODING);
  const pending = buffer(PENDING_SHIPMENT_ENCODING);
  const deadLetters = buffer(DEAD_LETTER_ENCODING);
  const rawEvents = buffer(RAW_EVENT_ENCODING);
  const golden = buffer(GOLDEN_ENCODING);
  const cases = buffer(CASE_ENCODING);
  const lane = (name: Lane['name'], buffers: TableBuffer<unknown>[], intervalMs: number): Lane => ({
    name,
    buffers,
    intervalMs,
    timer: null,
    running: null,
    next: null,
  });
  const commitLane = lane('commit', [lake, pending, deadLetters, rawEvents] as TableBuffer<unknown>[], flushIntervalMs);
  const goldenLane = lane('golden', [golden, cases] as TableBuffer<unknown>[], goldenIntervalMs);
  const lanes = [commitLane, goldenLane];

  const collectors: Array<() => void> = [];
  const flushedListeners: Array<(writtenBefore: number) => void> = [];
  const wallClock = options.wallClock ?? Date.now;
  const collect = (): void => {
    for (const c of collectors) c();
  };
  let closed = false;

  /** Commit-lane flushes started so far, and the last one the running golden flush waits for. */
  let commitFlushes = 0;
  let commitFlushesCovered = 0;

  const buffered = (l: Lane): number => l.buffers.reduce((n, b) => n + b.rows.length, 0);
  /**
   * Whether a new flush of the lane has rows to wait for that a running one does not cover. A
   * golden flush covers the commit lane too: rows buffered there, or in a commit flush started after
   * the one the running golden flush waits for.
   */
  function hasWork(l: Lane): boolean {
    if (buffered(l) > 0) return true;
    if (l === commitLane) return false;
    if (buffered(commitLane) > 0) return true;
    return commitLane.running !== null && (goldenLane.running === null || commitFlushes > commitFlushesCovered);
  }

  function armTimer(l: Lane): void {
    if (l.timer !== null || closed) return;
    l.timer = setTimeout(() => {
      l.timer = null;
      flushInBackground(l, 'interval');
    }, l.intervalMs);
    l.timer.unref();
  }

  function stopTimer(l: Lane): void {
    if (l.timer === null) return;
    clearTimeout(l.timer);
    l.timer = null;
  }

  function flushInBackground(l: Lane, reason: string): void {
    flushLane(l).catch((err: unknown) => {
      logger.error({ err, lane: l.name, reason, pendingRows: buffered(l) }, 'ClickHouse flush failed; the rows stay buffered');
      armTimer(l);
    });
  }

  function write<Row>(target: TableBuffer<Row>, l: Lane, rows: readonly Row[]): void {
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
    // Lake rows come with golden rows the merge stage holds back to coalesce: the golden lane's
    // timer starts with them.
    if (target === lake) armTimer(goldenLane);
    if (target.rows.length < batchRows) armTimer(l);
    else if (l.next === null) flushInBackground(l, 'batch full');
  }

  async function insert<Row>(target: TableBuffer<Row>, rows: Row[]): Promise<void> {
    const { table, columns } = target.encoding;
    const started = now();
    const body = await encodeJsonCompactRows(rows, target.encoding.values);
    await withRetry(
      async () => {
        try {
          await send(client, { database, table, columns, body });
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

  /** Takes every buffered row of the lane, marking it in flight. */
  function take(l: Lane): unknown[][] {
    return l.buffers.map((b) => {
      const rows = b.rows;
      b.rows = [];
      b.inFlight = rows.length;
      return rows;
    });
  }

  /** Puts rows taken by a flush that could not insert them back ahead of the newer ones. */
  function putBack(l: Lane, taken: unknown[][]): void {
    l.buffers.forEach((b, i) => {
      b.rows = taken[i]!.concat(b.rows);
      b.inFlight = 0;
    });
  }

  /**
   * Inserts the taken rows table after table, in the lane's order; on a failure the rows not
   * acknowledged go back to their buffers and the error is thrown.
   */
  async function insertTaken(l: Lane, taken: unknown[][]): Promise<void> {
    let failure: unknown = null;
    for (let i = 0; i < l.buffers.length; i++) {
      const target = l.buffers[i]!;
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
  }

  async function drainCommit(): Promise<void> {
    commitFlushes++;
    stopTimer(commitLane);
    try {
      await insertTaken(commitLane, take(commitLane));
    } finally {
      if (buffered(commitLane) > 0) armTimer(commitLane);
    }
  }

  /** `startedAt` is taken before the collectors ran: what `onFlushed` listeners are told. */
  async function drainGolden(startedAt: number): Promise<void> {
    stopTimer(goldenLane);
    const taken = take(goldenLane);
    // Lake rows first: a takeover rebuilds an order from its events, so a golden version must
    // never be stored without them.
    const commitDone = flushLane(commitLane);
    commitFlushesCovered = commitLane.next === null ? commitFlushes : commitFlushes + 1;
    try {
      try {
        await commitDone;
      } catch (err) {
        putBack(goldenLane, taken);
        throw err;
      }
      await insertTaken(goldenLane, taken);
    } finally {
      if (buffered(goldenLane) > 0) armTimer(goldenLane);
    }
    for (const listener of flushedListeners) {
      try {
        listener(startedAt);
      } catch (err) {
        logger.warn({ err }, 'onFlushed callback failed');
      }
    }
  }

  function flushLane(l: Lane): Promise<void> {
    let startedAt = 0;
    if (l === goldenLane) {
      startedAt = wallClock();
      collect();
    }
    if (l.running === null) {
      if (!hasWork(l)) return Promise.resolve();
      l.running = (l === goldenLane ? drainGolden(startedAt) : drainCommit()).finally(() => {
        l.running = null;
      });
      return l.running;
    }
    if (!hasWork(l)) return l.running;
    l.next ??= l.running
      .catch(() => undefined)
      .then(() => {
        l.next = null;
        return flushLane(l);
      });
    return l.next;
  }

  return {
    writeEvents: (rows) => write(lake, commitLane, rows),
    writeGolden: (rows) => write(golden, goldenLane, rows),
    writeDeadLetters: (rows) => write(deadLetters, commitLane, rows),
    writePendingShipments: (rows) => write(pending, commitLane, rows),
    writeRawEvents: (rows) => write(rawEvents, commitLane, rows),
    writeCases: (rows) => write(cases, goldenLane, rows),
    flush: () => flushLane(goldenLane),
    flushCommitLane: () => flushLane(commitLane),
    async close() {
      collect(); // coalescing writers hand over their last rows while writes are still allowed
      closed = true;
      for (const l of lanes) stopTimer(l);
      await flushLane(goldenLane);
    },
    pendingRows: () => lanes.reduce((n, l) => n + l.buffers.reduce((m, b) => m + b.rows.length + b.inFlight, 0), 0),
    onBeforeFlush(c) {
      collectors.push(c);
    },
    onFlushed(listener) {
      flushedListeners.push(listener);
    },
  };
}
