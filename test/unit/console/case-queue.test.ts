import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareCaseUrgency } from '../../../src/api/ws/index.js';
import type { HealthCase } from '../../../src/health/index.js';
import { loadConsoleScript } from './console-scripts.js';

interface QueueChange {
  op: 'insert' | 'update' | 'move' | 'remove';
  caseId: string;
  before?: string | null;
}
interface CaseQueue {
  readonly size: number;
  apply(c: HealthCase, options?: { removed?: boolean }): QueueChange | null;
  list(): HealthCase[];
  get(id: string): HealthCase | undefined;
  versions(): Record<string, number>;
  setFilter(filter: object): void;
  counts(): Record<string, number>;
}
interface CaseQueueModule {
  SEVERITIES: readonly string[];
  compareCases(a: HealthCase, b: HealthCase): number;
  matchesFilter(filter: object, c: HealthCase): boolean;
  createCaseQueue(filter?: object): CaseQueue;
}

const queueModule = loadConsoleScript<CaseQueueModule>('case-queue.js', 'orderlakeCaseQueue');

const T0 = Date.parse('2026-12-02T08:00:00.000Z');
const RULES = ['paid-not-released', 'short-pick', 'carrier-exception'];
const QUEUES = ['fulfillment-ops', 'customer-care'];

function healthCase(over: Partial<HealthCase> & { case_id: string }): HealthCase {
  return {
    rule: 'paid-not-released',
    subject: 'order',
    order_id: `SO-${over.case_id}`,
    tracking_no: null,
    source: null,
    description: 'Paid, but not released',
    severity: 'critical',
    queue: 'fulfillment-ops',
    playbook: [],
    status: 'open',
    at_risk: false,
    channel: 'TMALL',
    threshold_ms: 2_700_000,
    since: new Date(T0).toISOString(),
    due_at: null,
    opened_at: new Date(T0).toISOString(),
    at_risk_at: null,
    breached_at: null,
    updated_at: new Date(T0).toISOString(),
    resolved_at: null,
    resolution: null,
    assignee: null,
    evidence: {},
    version: 1,
    history: [],
    ...over,
  };
}

/** A case's identity (its sort key is fixed: severity, opened_at, rule and queue never change). */
const identity = fc.record({
  case_id: fc.stringMatching(/^HC-[0-9a-f]{4}$/),
  severity: fc.constantFrom('critical', 'warning', 'info') as fc.Arbitrary<HealthCase['severity']>,
  openedOffsetS: fc.integer({ min: 0, max: 50 }),
  rule: fc.constantFrom(...RULES),
  queue: fc.constantFrom(...QUEUES),
});

/** A step in a case's life as the feed reports it. */
const step = fc.record({
  who: fc.nat(),
  status: fc.constantFrom('open', 'open', 'acknowledged', 'resolved') as fc.Arbitrary<HealthCase['status']>,
  removed: fc.boolean(),
  stale: fc.boolean(),
});

/** Replays the queue's changes on a plain list of ids, as the page does on its <ol>. */
function replay(list: string[], change: QueueChange | null): void {
  if (change === null) return;
  const at = list.indexOf(change.caseId);
  if (change.op === 'remove' || change.op === 'move') list.splice(at, 1);
  if (change.op === 'insert' || change.op === 'move') {
    const before = change.before === null || change.before === undefined ? -1 : list.indexOf(change.before);
    list.splice(before === -1 ? list.length : before, 0, change.caseId);
  }
}

describe('the console case queue (dashboards/console/case-queue.js)', () => {
  it('sorts exactly as the API and the feed do: severity, then opened_at, then case_id (property)', () => {
    const anyCase = identity.map((i) => healthCase({ case_id: i.case_id, severity: i.severity, opened_at: new Date(T0 + i.openedOffsetS * 1000).toISOString() }));
    fc.assert(
      fc.property(anyCase, anyCase, (a, b) => {
        expect(Math.sign(queueModule.compareCases(a, b))).toBe(Math.sign(compareCaseUrgency(a, b)));
      }),
    );
  });

  it('after any live sequence holds the newest version of each matching active case, sorted, and the list the page built agrees (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(identity, { selector: (i) => i.case_id, minLength: 1, maxLength: 12 }),
        fc.array(step, { maxLength: 60 }),
        fc.record({ severity: fc.constantFrom(undefined, ['critical'], ['critical', 'warning']), rule: fc.constantFrom(undefined, ['short-pick']) }),
        (ids, steps, rawFilter) => {
          const filter = { status: 'active', ...(rawFilter.severity ? { severity: rawFilter.severity } : {}), ...(rawFilter.rule ? { rule: rawFilter.rule } : {}) };
          const q = queueModule.createCaseQueue(filter);
          const versions = new Map<string, number>();
          const latest = new Map<string, { c: HealthCase; removed: boolean }>();
          const page: string[] = [];
          for (const s of steps) {
            const i = ids[s.who % ids.length]!;
            const current = versions.get(i.case_id) ?? 0;
            // A stale message repeats an older version, which must change nothing.
            const stale = s.stale && current > 0;
            const removed = s.removed && !stale;
            const version = stale ? current : current + 1;
            const c = healthCase({
              case_id: i.case_id,
              severity: i.severity,
              rule: i.rule,
              queue: i.queue,
              opened_at: new Date(T0 + i.openedOffsetS * 1000).toISOString(),
              status: s.status,
              version,
            });
            const before = q.list().map((x) => x.case_id);
            const change = q.apply(c, { removed });
            replay(page, change);
            if (version > current) {
              versions.set(i.case_id, version);
              latest.set(i.case_id, { c, removed });
            } else {
              // An older or equal copy, even of a case that has left, changes nothing.
              expect(change).toBeNull();
            }
            // A change never moves any other case relative to the rest.
            const after = q.list().map((x) => x.case_id);
            const others = (list: string[]) => list.filter((id) => id !== i.case_id);
            expect(others(after)).toEqual(others(before));
            if (change?.op === 'update') expect(after).toEqual(before);
          }
          const expected = [...latest.values()]
            .filter(({ c, removed }) => !removed && queueModule.matchesFilter(filter, c))
            .map(({ c }) => c)
            .sort(compareCaseUrgency);
          expect(q.list().map((c) => [c.case_id, c.version])).toEqual(expected.map((c) => [c.case_id, c.version]));
          expect(page).toEqual(expected.map((c) => c.case_id));
          expect(q.versions()).toEqual(Object.fromEntries(expected.map((c) => [c.case_id, c.version])));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps an updated case in place, inserts a new one at its sorted place and drops a resolved one', () => {
    const q = queueModule.createCaseQueue({ status: 'active' });
    const at = (s: number) => new Date(T0 + s * 1000).toISOString();
    expect(q.apply(healthCase({ case_id: 'HC-b', severity: 'warning', opened_at: at(1) }))).toEqual({ op: 'insert', caseId: 'HC-b', before: null });
    expect(q.apply(healthCase({ case_id: 'HC-a', severity: 'critical', opened_at: at(5) }))).toEqual({ op: 'insert', caseId: 'HC-a', before: 'HC-b' });
    expect(q.apply(healthCase({ case_id: 'HC-c', severity: 'critical', opened_at: at(2) }))).toEqual({ op: 'insert', caseId: 'HC-c', before: 'HC-a' });
    expect(q.list().map((c) => c.case_id)).toEqual(['HC-c', 'HC-a', 'HC-b']);
    // Acknowledged: same place, new version.
    expect(q.apply(healthCase({ case_id: 'HC-a', severity: 'critical', opened_at: at(5), status: 'acknowledged', version: 2 }))).toEqual({ op: 'update', caseId: 'HC-a' });
    expect(q.get('HC-a')?.status).toBe('acknowledged');
    // The same version again (the feed after the action's own answer): nothing.
    expect(q.apply(healthCase({ case_id: 'HC-a', severity: 'critical', opened_at: at(5), status: 'acknowledged', version: 2 }))).toBeNull();
    // Resolved: it leaves.
    expect(q.apply(healthCase({ case_id: 'HC-c', severity: 'critical', opened_at: at(2), status: 'resolved', version: 2 }))).toEqual({ op: 'remove', caseId: 'HC-c' });
    expect(q.list().map((c) => c.case_id)).toEqual(['HC-a', 'HC-b']);
    // An action's answer overtaken by the feed (acknowledged at v2, while the feed said resolved at
    // v2): the case stays gone; only a newer version (reopened) brings it back.
    expect(q.apply(healthCase({ case_id: 'HC-c', severity: 'critical', opened_at: at(2), status: 'acknowledged', version: 2 }))).toBeNull();
    expect(q.apply(healthCase({ case_id: 'HC-c', severity: 'critical', opened_at: at(2), status: 'open', version: 3 }))).toEqual({ op: 'insert', caseId: 'HC-c', before: 'HC-a' });
    expect(q.apply(healthCase({ case_id: 'HC-c', severity: 'critical', opened_at: at(2), status: 'resolved', version: 4 }))).toEqual({ op: 'remove', caseId: 'HC-c' });
    expect(q.list().map((c) => c.case_id)).toEqual(['HC-a', 'HC-b']);
    expect(q.counts()).toEqual({ critical: 1, warning: 1, info: 0 });
    // A resolved case the queue never held is not taken.
    expect(q.apply(healthCase({ case_id: 'HC-d', status: 'resolved', version: 3 }))).toBeNull();
    expect(q.size).toBe(2);
  });

  it('matches the filters an agent sets: queue, severity and rule lists, active only', () => {
    const c = healthCase({ case_id: 'HC-1', severity: 'warning', rule: 'short-pick', queue: 'customer-care' });
    expect(queueModule.matchesFilter({}, c)).toBe(true);
    expect(queueModule.matchesFilter({ severity: ['critical'] }, c)).toBe(false);
    expect(queueModule.matchesFilter({ severity: ['critical', 'warning'], rule: ['short-pick'], queue: ['customer-care'] }, c)).toBe(true);
    expect(queueModule.matchesFilter({ queue: ['fulfillment-ops'] }, c)).toBe(false);
    expect(queueModule.matchesFilter({}, { ...c, status: 'resolved' })).toBe(false);
    expect(queueModule.matchesFilter({ status: 'all' }, { ...c, status: 'resolved' })).toBe(true);
  });
});
