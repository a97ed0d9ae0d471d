import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareCaseUrgency, compileCaseFilter } from '../../../src/api/ws/case-filter.js';
import { openCaseSubscription } from '../../../src/api/ws/case-subscription.js';
import { createClientMessageParser } from '../../../src/api/ws/client-message.js';
import { DEFAULT_FEED_OPTIONS } from '../../../src/api/ws/feed-options.js';
import type { CaseFilter, CaseMessage, CaseSubscribeMessage, ServerMessage } from '../../../src/api/ws/feed-protocol.js';
import { createOutbox, toServerMessage, type CaseItem, type OutboxItem } from '../../../src/api/ws/outbox.js';
import type { CaseChange, CaseStatus, HealthCase, Severity } from '../../../src/health/index.js';

/** The pure part of the feed's cases stream: message parsing, the filter, snapshot, resume and live items. */

function aCase(caseId: string, version: number, fields: Partial<HealthCase> = {}): HealthCase {
  return {
    case_id: caseId,
    rule: 'paid-not-released',
    subject: 'order',
    order_id: `SO-${caseId}`,
    tracking_no: null,
    source: null,
    description: 'd',
    severity: 'critical',
    queue: 'fulfillment-ops',
    playbook: [],
    status: 'open',
    at_risk: false,
    channel: 'WEB',
    threshold_ms: 2_700_000,
    since: '2026-11-26T10:00:00.000Z',
    due_at: '2026-11-26T10:45:00.000Z',
    opened_at: '2026-11-26T10:36:00.000Z',
    at_risk_at: null,
    breached_at: null,
    updated_at: '2026-11-26T10:36:00.000Z',
    resolved_at: null,
    resolution: null,
    assignee: null,
    evidence: {},
    version,
    history: [],
    ...fields,
  };
}

function change(previous: HealthCase | null, next: HealthCase): CaseChange {
  return { caseId: next.case_id, case: next, previous, version: next.version, step: 'evidence' };
}

function subscribe(filter: CaseFilter = {}, versions?: Record<string, number>): CaseSubscribeMessage {
  return { type: 'subscribe', id: 'c', stream: 'cases', filter, ...(versions ? { versions } : {}) };
}

const messagesOf = (items: readonly OutboxItem[]) => items.map(toServerMessage);

describe('cases subscribe messages', () => {
  const parse = createClientMessageParser(DEFAULT_FEED_OPTIONS);

  it('accepts a cases subscribe with a filter and versions; the filter defaults to {}', () => {
    expect(parse(JSON.stringify({ type: 'subscribe', id: 'q', stream: 'cases', filter: { queue: ['fulfillment-ops'], severity: ['critical', 'warning'], rule: ['short-pick'], status: 'all' }, versions: { abc: 3 } }))).toEqual({
      ok: true,
      message: { type: 'subscribe', id: 'q', stream: 'cases', filter: { queue: ['fulfillment-ops'], severity: ['critical', 'warning'], rule: ['short-pick'], status: 'all' }, versions: { abc: 3 } },
    });
    expect(parse('{"type":"subscribe","id":7,"stream":"cases"}')).toEqual({ ok: true, message: { type: 'subscribe', id: 7, stream: 'cases', filter: {} } });
  });

  it('keeps an order subscribe as it was, with or without stream "orders"', () => {
    const order = { type: 'subscribe', id: 'o', filter: { channel: 'WEB' }, versions: { 'SO-1': 2 } };
    const expected = { ok: true, message: { type: 'subscribe', id: 'o', filter: { channel: 'WEB' }, versions: { 'SO-1': 2 } } };
    expect(parse(JSON.stringify(order))).toEqual(expected);
    expect(parse(JSON.stringify({ ...order, stream: 'orders' }))).toEqual(expected);
  });

  it.each([
    [{ stream: 'cases', filter: { severity: ['urgent'] } }, /filter\.severity\.0/],
    [{ stream: 'cases', filter: { status: 'open' } }, /filter\.status/],
    [{ stream: 'cases', filter: { queue: [] } }, /filter\.queue/],
    [{ stream: 'cases', filter: { queue: 'fulfillment-ops' } }, /filter\.queue/],
    [{ stream: 'cases', filter: { order_ids: ['SO-1'] } }, /order_ids/],
    [{ stream: 'cases', versions: { abc: -1 } }, /versions/],
    [{ stream: 'cases', extra: true }, /extra/],
    [{ stream: 'orders', filter: { severity: ['critical'] } }, /severity/],
    [{ stream: 'shipments' }, /unknown stream "shipments"; expected orders or cases/],
    [{ stream: 3 }, /unknown stream 3/],
  ])('refuses %j with OL_ERR_WS_BAD_REQUEST naming the field, and keeps the id', (fields, reason) => {
    const parsed = parse(JSON.stringify({ type: 'subscribe', id: 'bad', ...fields }));
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problem).toMatchObject({ code: 'OL_ERR_WS_BAD_REQUEST', id: 'bad' });
    expect(parsed.problem.message).toMatch(reason);
  });
});

describe('case filter', () => {
  it('is active-only by default and every given list must match', () => {
    const open = aCase('a', 1);
    const acknowledged = aCase('b', 2, { status: 'acknowledged' });
    const resolved = aCase('c', 3, { status: 'resolved' });
    const byDefault = compileCaseFilter({});
    expect([open, acknowledged, resolved, null].map((c) => byDefault.matches(c))).toEqual([true, true, false, false]);
    expect(compileCaseFilter({ status: 'all' }).matches(resolved)).toBe(true);
    const narrow = compileCaseFilter({ queue: ['carrier-desk'], severity: ['warning'], rule: ['carrier-exception'] });
    expect(narrow.matches(aCase('d', 1, { queue: 'carrier-desk', severity: 'warning', rule: 'carrier-exception' }))).toBe(true);
    expect(narrow.matches(aCase('d', 1, { queue: 'carrier-desk', severity: 'critical', rule: 'carrier-exception' }))).toBe(false);
    expect(narrow.matches(aCase('d', 1, { queue: 'customer-care', severity: 'warning', rule: 'carrier-exception' }))).toBe(false);
    expect(narrow.matches(aCase('d', 1, { queue: 'carrier-desk', severity: 'warning', rule: 'short-pick' }))).toBe(false);
  });

  it('orders the work queue: most severe, then oldest, then id', () => {
    const cases = [
      aCase('z', 1, { severity: 'info', opened_at: '2026-01-01T00:00:00.000Z' }),
      aCase('y', 1, { severity: 'critical', opened_at: '2026-01-02T00:00:00.000Z' }),
      aCase('x', 1, { severity: 'warning', opened_at: '2026-01-01T00:00:00.000Z' }),
      aCase('b', 1, { severity: 'critical', opened_at: '2026-01-01T00:00:00.000Z' }),
      aCase('a', 1, { severity: 'critical', opened_at: '2026-01-01T00:00:00.000Z' }),
    ];
    expect(cases.sort(compareCaseUrgency).map((c) => c.case_id)).toEqual(['a', 'b', 'y', 'x', 'z']);
  });
});

describe('opening a cases subscription', () => {
  it('snapshots the matching cases most urgent first, capped with truncated', () => {
    const held = [
      aCase('w', 1, { severity: 'warning' }),
      aCase('r', 4, { status: 'resolved' }),
      aCase('c', 2, { severity: 'critical' }),
      aCase('i', 1, { severity: 'info' }),
    ];
    const all = openCaseSubscription(subscribe(), { held, maxSnapshotCases: 10 });
    expect(messagesOf(all.items)).toEqual([
      { type: 'subscribed', id: 'c' },
      { type: 'case_snapshot', id: 'c', cases: [held[2], held[0], held[3]] },
    ]);
    const capped = openCaseSubscription(subscribe({ status: 'all' }), { held, maxSnapshotCases: 2 });
    expect(messagesOf(capped.items)[1]).toEqual({ type: 'case_snapshot', id: 'c', cases: [held[2], held[1]], truncated: true });
  });

  it('resumes: nothing when current, the case now when newer (removed when it left), removed when held but no longer matching', () => {
    const held = [
      aCase('same', 3),
      aCase('newer', 7, { status: 'acknowledged' }),
      aCase('left', 5, { status: 'resolved' }),
      aCase('stale-match', 2, { status: 'resolved' }),
      aCase('restored-older', 4),
      aCase('fresh', 1),
    ];
    const opened = openCaseSubscription(subscribe({}, { same: 3, newer: 2, left: 4, 'stale-match': 2, 'restored-older': 6, unknown: 9 }), { held, maxSnapshotCases: 100 });
    expect(messagesOf(opened.items)).toEqual([
      { type: 'subscribed', id: 'c' },
      { type: 'case_snapshot', id: 'c', cases: [held[5]] },
      { type: 'case', id: 'c', case_id: 'newer', from_version: 2, version: 7, case: held[1] },
      { type: 'case', id: 'c', case_id: 'left', from_version: 4, version: 5, case: held[2], removed: true },
      { type: 'case', id: 'c', case_id: 'stale-match', from_version: 2, version: 2, case: held[3], removed: true },
      // Held here at a lower version than the client's (restored from an older stored row): the case as it is.
      { type: 'case', id: 'c', case_id: 'restored-older', from_version: 6, version: 4, case: held[4] },
    ]);
  });

  it('live: a case entering comes whole, a change of a matching case, one removed when it leaves, nothing outside', () => {
    const { subscription } = openCaseSubscription(subscribe({ queue: ['fulfillment-ops'] }), { held: [], maxSnapshotCases: 10 });
    const v1 = aCase('a', 1);
    const v2 = aCase('a', 2, { at_risk: true });
    const v3 = aCase('a', 3, { status: 'resolved' });
    const v4 = aCase('a', 4, { status: 'resolved', assignee: 'li' });
    const elsewhere = aCase('b', 1, { queue: 'carrier-desk' });
    expect(subscription.itemFor(change(null, v1))).toEqual({ kind: 'case', subscription: 'c', caseId: 'a', fromVersion: 0, version: 1, case: v1, removed: false });
    expect(subscription.itemFor(change(v1, v2))).toMatchObject({ fromVersion: 1, version: 2, case: v2, removed: false });
    expect(subscription.itemFor(change(v2, v3))).toMatchObject({ fromVersion: 2, version: 3, case: v3, removed: true });
    expect(subscription.itemFor(change(v3, v4))).toBeNull();
    expect(subscription.itemFor(change(null, elsewhere))).toBeNull();
  });
});

describe('case items in the outbox', () => {
  const item = (caseId: string, fromVersion: number, version: number, removed = false, subscription = 'c'): CaseItem => ({
    kind: 'case',
    subscription,
    caseId,
    fromVersion,
    version,
    case: aCase(caseId, version),
    removed,
  });

  it('coalesce per subscription and case: the newest case, the oldest from_version, in first-come order', () => {
    const outbox = createOutbox();
    outbox.push(item('a', 1, 2));
    outbox.push(item('b', 0, 1));
    outbox.push(item('a', 2, 3, true));
    outbox.push(item('a', 3, 4));
    outbox.push(item('a', 0, 1, false, 'other'));
    expect(outbox.size).toBe(3);
    expect(toServerMessage(outbox.shift()!)).toEqual({ type: 'case', id: 'c', case_id: 'a', from_version: 1, version: 4, case: aCase('a', 4) });
    expect(outbox.shift()).toMatchObject({ caseId: 'b' });
    outbox.push(item('b', 1, 2, true));
    expect(toServerMessage(outbox.shift()!)).toMatchObject({ id: 'other', case_id: 'a' });
    expect(toServerMessage(outbox.shift()!)).toMatchObject({ case_id: 'b', from_version: 1, version: 2, removed: true });
  });

  it('are dropped with their subscription', () => {
    const outbox = createOutbox();
    outbox.push(item('a', 0, 1));
    outbox.push({ kind: 'message', message: { type: 'case_snapshot', id: 'c', cases: [] } });
    outbox.push(item('a', 0, 1, false, 'other'));
    outbox.dropSubscription('c');
    expect(outbox.size).toBe(1);
    expect(outbox.shift()).toMatchObject({ subscription: 'other' });
  });
});

/**
 * A client of one cases subscription: applies the messages it receives and checks, on the way,
 * that nothing arrives twice and nothing is skipped for a case it holds.
 */
class CaseClient {
  readonly cases = new Map<string, HealthCase>();
  readonly problems: string[] = [];

  apply(message: ServerMessage): void {
    if (message.type === 'case_snapshot') {
      for (const held of message.cases) {
        if (this.cases.has(held.case_id)) this.problems.push(`snapshot repeats ${held.case_id}`);
        this.cases.set(held.case_id, held);
      }
    } else if (message.type === 'case') {
      const mine = this.cases.get(message.case_id);
      if (mine !== undefined && mine.version !== message.from_version) {
        this.problems.push(`${message.case_id}: from ${message.from_version} but held at ${mine.version}`);
      }
      if (mine !== undefined && !message.removed && message.version <= mine.version) {
        this.problems.push(`${message.case_id}: version ${message.version} not above the held ${mine.version}`);
      }
      if (message.version !== message.case.version) this.problems.push(`${message.case_id}: version is not the case's`);
      if (message.removed) this.cases.delete(message.case_id);
      else this.cases.set(message.case_id, message.case);
    }
  }

  versions(): Record<string, number> {
    return Object.fromEntries([...this.cases].map(([id, held]) => [id, held.version]));
  }
}

/** A connection: a real outbox between the subscription and the client, drained when the test says. */
class Connection {
  readonly outbox = createOutbox();
  constructor(readonly client: CaseClient) {}
  drain(): void {
    for (let item = this.outbox.shift(); item !== undefined; item = this.outbox.shift()) this.client.apply(toServerMessage(item));
  }
}

const QUEUES = ['fulfillment-ops', 'carrier-desk'] as const;
const SEVERITY_VALUES: readonly Severity[] = ['info', 'warning', 'critical'];
const STATUSES: readonly CaseStatus[] = ['open', 'acknowledged', 'resolved'];

const stepArb = fc.record({
  caseIndex: fc.nat({ max: 5 }),
  queue: fc.constantFrom(...QUEUES),
  severity: fc.constantFrom(...SEVERITY_VALUES),
  status: fc.constantFrom(...STATUSES),
  /** Drain the connections' outboxes after this change (the socket had room), or let items coalesce. */
  drain: fc.boolean(),
});

const filterArb: fc.Arbitrary<CaseFilter> = fc.record(
  {
    queue: fc.uniqueArray(fc.constantFrom(...QUEUES), { minLength: 1 }),
    severity: fc.uniqueArray(fc.constantFrom(...SEVERITY_VALUES), { minLength: 1 }),
    status: fc.constantFrom('active' as const, 'all' as const),
  },
  { requiredKeys: [] },
);

describe('cases resume (property)', () => {
  it('a client that disconnects at any point and resumes later ends with exactly the cases of one that never disconnected', () => {
    fc.assert(
      fc.property(
        filterArb,
        fc.array(stepArb, { minLength: 1, maxLength: 60 }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        (filter, steps, a, b, c) => {
          // Changes before both subscribe, while both are connected, while one is away, and after it resumed.
          const [opensAt, leavesAt, returnsAt] = [a % (steps.length + 1), b % (steps.length + 1), c % (steps.length + 1)].sort((x, y) => x - y) as [number, number, number];
          const held = new Map<string, HealthCase>();
          const stayer = new Connection(new CaseClient());
          const leaver = new Connection(new CaseClient());
          let stayerSub: ReturnType<typeof openCaseSubscription>['subscription'] | null = null;
          let leaverSub: ReturnType<typeof openCaseSubscription>['subscription'] | null = null;
          const open = (connection: Connection, versions?: Record<string, number>) => {
            const opened = openCaseSubscription(subscribe(filter, versions), { held: [...held.values()], maxSnapshotCases: 1_000 });
            for (const item of opened.items) connection.outbox.push(item);
            return opened.subscription;
          };

          for (let i = 0; i <= steps.length; i++) {
            if (i === opensAt) {
              stayerSub = open(stayer);
              leaverSub = open(leaver);
            }
            if (i === leavesAt && leaverSub !== null) {
              // Gone: whatever was still queued for it is lost with the connection.
              leaver.outbox.clear();
              leaverSub = null;
            }
            if (i === returnsAt && leaverSub === null) leaverSub = open(leaver, leaver.client.versions());
            const step = steps[i];
            if (step === undefined) break;
            const caseId = `case-${step.caseIndex}`;
            const previous = held.get(caseId) ?? null;
            const next = aCase(caseId, (previous?.version ?? 0) + 1, { queue: step.queue, severity: step.severity, status: step.status });
            held.set(caseId, next);
            const live = change(previous, next);
            for (const [connection, subscription] of [[stayer, stayerSub], [leaver, leaverSub]] as const) {
              const item = subscription?.itemFor(live) ?? null;
              if (item !== null) connection.outbox.push(item);
              if (step.drain) connection.drain();
            }
          }
          stayer.drain();
          leaver.drain();

          const compiled = compileCaseFilter(filter);
          const expected = new Map([...held].filter(([, c]) => compiled.matches(c)));
          expect(stayer.client.problems).toEqual([]);
          expect(leaver.client.problems).toEqual([]);
          expect(stayer.client.cases).toEqual(expected);
          expect(leaver.client.cases).toEqual(stayer.client.cases);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('case messages', () => {
  it('serialise with removed only when set', () => {
    const held = aCase('a', 2);
    const message = toServerMessage({ kind: 'case', subscription: 's', caseId: 'a', fromVersion: 1, version: 2, case: held, removed: false }) as CaseMessage;
    expect(message).toEqual({ type: 'case', id: 's', case_id: 'a', from_version: 1, version: 2, case: held });
    expect('removed' in message).toBe(false);
  });
});
