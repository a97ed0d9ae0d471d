import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createGoldenStore, createLocalRouter, createShipmentLinker } from '../../../src/golden/index.js';
import type { HealthCase, Rule } from '../../../src/health/index.js';
import type { CanonicalEvent } from '../../../src/normalize/index.js';
import type { Ingestor, IngestOutcome } from '../../../src/pipeline/ingest.js';
import { diffOrderCases, runSandbox, type SandboxReport, type SandboxSource } from '../../../src/sandbox/index.js';
import { formatSummary, renderHtmlReport } from '../../../src/sandbox/index.js';
import type { StoredRawMessage } from '../../../src/sinks/index.js';
import { crmOrder, DAY, MINUTE, T0, wms } from '../../helpers/golden-events.js';
import { RULES_DIR, referenceRules, ruleFromYaml } from '../health/support/reference-rules.js';

const RULES: readonly Rule[] = [...referenceRules().values()];
const PAID_NOT_RELEASED = referenceRules().get('paid-not-released')!;

function heldCase(over: Partial<HealthCase> & { case_id: string; rule: string }): HealthCase {
  return {
    subject: 'order',
    order_id: 'SO-1',
    tracking_no: null,
    source: null,
    description: '',
    severity: 'critical',
    queue: 'fulfillment-ops',
    playbook: [],
    status: 'open',
    at_risk: false,
    channel: 'WEB',
    threshold_ms: 45 * MINUTE,
    since: '2026-11-18T00:00:00.000Z',
    due_at: '2026-11-18T00:45:00.000Z',
    opened_at: '2026-11-18T00:36:00.000Z',
    at_risk_at: '2026-11-18T00:36:00.000Z',
    breached_at: '2026-11-18T00:45:00.000Z',
    updated_at: '2026-11-18T00:45:00.000Z',
    resolved_at: null,
    resolution: null,
    assignee: null,
    evidence: {},
    version: 2,
    history: [],
    ...over,
  };
}

const caseArb: fc.Arbitrary<HealthCase> = fc
  .record({
    id: fc.constantFrom('c1', 'c2', 'c3', 'c4', 'c5'),
    rule: fc.constantFrom('paid-not-released', 'short-pick', 'released-not-shipped'),
    status: fc.constantFrom('open', 'resolved', 'acknowledged'),
    breached: fc.boolean(),
    threshold: fc.integer({ min: 1, max: 90 }),
    since: fc.integer({ min: 0, max: 59 }),
    evidence: fc.dictionary(fc.string(), fc.string()),
  })
  .map((r) =>
    heldCase({
      case_id: `${r.rule}/${r.id}`,
      rule: r.rule,
      status: r.status as HealthCase['status'],
      breached_at: r.breached ? '2026-11-18T01:00:00.000Z' : null,
      at_risk: !r.breached,
      threshold_ms: r.threshold * MINUTE,
      since: `2026-11-18T00:${String(r.since).padStart(2, '0')}:00.000Z`,
      evidence: r.evidence,
    }),
  );
const casesArb = fc.uniqueArray(caseArb, { selector: (c) => c.case_id, maxLength: 6 });

describe('diffOrderCases', () => {
  it('finds nothing between a case set and itself, whatever the evidence and history', () => {
    fc.assert(
      fc.property(casesArb, (cases) => {
        const copy = cases.map((c) => ({ ...c, evidence: { other: 'evidence' }, history: [], version: c.version + 1 }));
        expect(diffOrderCases(cases, copy)).toEqual([]);
      }),
    );
  });

  it('is symmetric: swapping sides swaps opened and closed, and before and after of changes', () => {
    fc.assert(
      fc.property(casesArb, casesArb, (a, b) => {
        const ab = diffOrderCases(a, b);
        const ba = diffOrderCases(b, a);
        const count = (d: typeof ab, change: string) => d.filter((x) => x.change === change).length;
        expect(count(ab, 'opened')).toBe(count(ba, 'closed'));
        expect(count(ab, 'closed')).toBe(count(ba, 'opened'));
        expect(count(ab, 'changed')).toBe(count(ba, 'changed'));
        // Every case appears at most once on each side, and opened minus closed is the size difference.
        expect(count(ab, 'opened') - count(ab, 'closed')).toBe(b.length - a.length);
        const afterIds = ab.flatMap((d) => (d.after ? [d.after.case_id] : []));
        expect(new Set(afterIds).size).toBe(afterIds.length);
      }),
    );
  });

  it('matches by case id, pairs what is left of a rule by the start of the wait, and names the fields that differ', () => {
    const base = [
      heldCase({ case_id: 'A', rule: 'paid-not-released' }),
      heldCase({ case_id: 'B', rule: 'short-pick', since: '2026-11-18T02:00:00.000Z' }),
      heldCase({ case_id: 'C', rule: 'released-not-shipped' }),
    ];
    const cand = [
      heldCase({ case_id: 'A', rule: 'paid-not-released', threshold_ms: 20 * MINUTE, due_at: '2026-11-18T00:20:00.000Z' }),
      heldCase({ case_id: 'B2', rule: 'short-pick', since: '2026-11-18T02:05:00.000Z' }),
      heldCase({ case_id: 'D', rule: 'carrier-exception', status: 'resolved', resolution: 'self_healed' }),
    ];
    const diff = diffOrderCases(base, cand);
    expect(diff.map((d) => [d.rule, d.change, d.before?.case_id ?? null, d.after?.case_id ?? null, d.fields])).toEqual([
      ['carrier-exception', 'opened', null, 'D', []],
      ['paid-not-released', 'changed', 'A', 'A', ['threshold_ms', 'due_at']],
      ['released-not-shipped', 'closed', 'C', null, []],
      ['short-pick', 'changed', 'B', 'B2', ['since']],
    ]);
    expect(diff[1]!.before).toMatchObject({ threshold_ms: 45 * MINUTE, due_at: '2026-11-18T00:45:00.000Z', breached: true });
  });
});

// --- runSandbox on an in-memory production ---------------------------------------------------

/** One order's story: paid at `paid`, then released after `release` minutes, or cancelled after `cancel`, or neither. */
interface Story {
  paid: number;
  release: number | null;
  cancel: number | null;
  channel: 'WEB' | 'MEITUAN';
  /** Minutes each message reaches Kafka after its event time. */
  lag: number;
}

const storyArb: fc.Arbitrary<Story> = fc
  .record({
    paid: fc.integer({ min: 0, max: 20 * 60 }),
    end: fc.constantFrom('release', 'cancel', 'none'),
    after: fc.integer({ min: 1, max: 180 }),
    channel: fc.constantFrom('WEB' as const, 'MEITUAN' as const),
    lag: fc.integer({ min: 0, max: 5 }),
  })
  .map((r) => ({
    paid: r.paid,
    release: r.end === 'release' ? r.after : null,
    cancel: r.end === 'cancel' ? r.after : null,
    channel: r.channel,
    lag: r.lag,
  }));

const WINDOW = { from: T0, to: T0 + DAY };

function eventsOf(id: string, s: Story): CanonicalEvent[] {
  const paidAt = T0 + s.paid * MINUTE;
  const out: CanonicalEvent[] = [crmOrder({ order_id: id, channel: s.channel, row_version: 2, status: 'PAID', paid_at: paidAt, updated_at: paidAt })];
  if (s.release !== null) out.push(wms('RELEASED', paidAt + s.release * MINUTE, { event_id: `${id}-r`, order_id: id, fulfillment_id: `FF-${id}` }));
  if (s.cancel !== null) {
    out.push(crmOrder({ order_id: id, channel: s.channel, row_version: 3, status: 'CANCELLED', paid_at: paidAt, updated_at: paidAt + s.cancel * MINUTE }));
  }
  return out;
}

/** Production as stored: each event a raw message (its JSON as the value), the golden views its merge gives. */
function production(stories: readonly Story[]): { source: SandboxSource; events: Map<string, CanonicalEvent> } {
  const messages: StoredRawMessage[] = [];
  const events = new Map<string, CanonicalEvent>();
  const store = createGoldenStore({ now: () => 0 });
  stories.forEach((s, i) => {
    const id = `SO-${String(i).padStart(3, '0')}`;
    for (const e of eventsOf(id, s)) {
      const time = e.source === 'crm' ? e.ts_ms : (e as { occurred_at: number }).occurred_at;
      const offset = String(messages.length);
      messages.push({ order_id: id, topic: e.source, partition: 0, offset, line: 0, kafka_time: time + s.lag * MINUTE, key: '', value: Buffer.from(offset).toString('base64'), tombstone: 0 });
      events.set(offset, e);
      store.applyBatch([{ orderId: id, event: e }]);
    }
  });
  const source: SandboxSource = {
    async ordersTouchedInWindow(w) {
      return [...new Set(messages.filter((m) => m.kafka_time >= w.from && m.kafka_time < w.to).map((m) => m.order_id))];
    },
    async unknownOrderMessagesInWindow() {
      return [];
    },
    async rawMessagesOfOrders(ids) {
      return messages.filter((m) => ids.includes(m.order_id));
    },
    async lakePositionsOfOrders(ids) {
      return messages.filter((m) => ids.includes(m.order_id));
    },
    async goldenViewsOfOrders(ids) {
      return new Map(ids.flatMap((id) => (store.get(id) ? [[id, store.get(id) as unknown as Record<string, unknown>] as const] : [])));
    },
    async deadLettersAt() {
      return new Map();
    },
  };
  return { source, events };
}

/** A decoder for the in-memory messages: the value names the event. */
function ingestorOf(events: Map<string, CanonicalEvent>): Ingestor {
  return {
    async ingestBatch(messages) {
      return messages.map((m): IngestOutcome => {
        const event = events.get(m.value!.toString())!;
        return { type: 'event', event, position: { topic: m.topic, partition: m.partition, offset: m.offset, timestamp: m.timestamp } };
      });
    },
  };
}

async function sandbox(stories: readonly Story[], candidateRules: readonly Rule[], batchOrders: number): Promise<SandboxReport> {
  const { source, events } = production(stories);
  return runSandbox(
    { source, ingestor: ingestorOf(events) },
    {
      window: WINDOW,
      batchOrders,
      labels: { pipelines: 'candidate', rules: null, ordersFilter: null },
      now: () => 0,
      cases: { productionIngestor: ingestorOf(events), productionRules: RULES, candidateRules, allowedLatenessMs: 10 * MINUTE },
    },
  );
}

/** paid-not-released with its thresholds lowered: 45 min → 20, 40 on MEITUAN and JD_DAOJIA → 15. */
const lowered = ruleFromYaml(
  readFileSync(path.join(RULES_DIR, 'paid-not-released.yaml'), 'utf8').replace('threshold: 45m', 'threshold: 20m').replaceAll('{ threshold: 40m }', '{ threshold: 15m }'),
);
const LOWERED_RULES = RULES.map((r) => (r.name === 'paid-not-released' ? lowered : r));

describe('runSandbox exception cases', () => {
  it("gives an empty case diff with production's own rules and pipelines, whatever the orders and batches", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(storyArb, { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 5 }), async (stories, batch) => {
        const report = await sandbox(stories, RULES, batch);
        expect(report.cases.computed).toBe(true);
        expect(report.cases.orders).toEqual([]);
        expect([report.totals.cases_opened, report.totals.cases_closed, report.totals.cases_changed]).toEqual([0, 0, 0]);
        expect(report.orders).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  it('lists exactly the orders a lowered threshold affects, with both thresholds, independent of the batch size', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(storyArb, { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 5 }), async (stories, batch) => {
        const report = await sandbox(stories, LOWERED_RULES, batch);
        // The oracle: a wait from payment to the release, or, while still paid, to the window's end;
        // a cancellation ends it, judged at the Kafka time of the cancellation less the lateness
        // (10 min). A case is at risk from 80 % of the threshold, breached at it.
        const expected: Array<[string, string, string, string]> = [];
        stories.forEach((s, i) => {
          const id = `SO-${String(i).padStart(3, '0')}`;
          const waited = s.release ?? (s.cancel !== null ? s.cancel + s.lag - 10 : (WINDOW.to - T0) / MINUTE - s.paid);
          const outcome = (threshold: number) => (waited >= threshold ? 'breached' : waited >= 0.8 * threshold ? 'at risk' : null);
          const before = outcome(s.channel === 'MEITUAN' ? 40 : 45);
          const after = outcome(s.channel === 'MEITUAN' ? 15 : 20);
          if (after !== null) expected.push([id, before === null ? 'opened' : 'changed', before ?? '-', after]);
        });
        const got = report.cases.orders.flatMap((o) =>
          o.cases.map((d) => [o.order_id, d.change, d.before ? (d.before.breached ? 'breached' : 'at risk') : '-', d.after!.breached ? 'breached' : 'at risk'] as [string, string, string, string]),
        );
        expect(got).toEqual(expected);
        for (const o of report.cases.orders) {
          for (const d of o.cases) {
            expect(d.rule).toBe('paid-not-released');
            const story = stories[Number(o.order_id.slice(3))]!;
            expect(d.after!.threshold_ms).toBe((story.channel === 'MEITUAN' ? 15 : 20) * MINUTE);
            expect(d.after!.status).toBe(story.release === null && story.cancel === null ? 'open' : 'resolved');
            if (d.before) expect(d.fields).toContain('threshold_ms');
          }
        }
        expect(report.totals.cases_opened + report.totals.cases_changed).toBe(got.length);
        expect(report.totals.cases_closed).toBe(0);
        const other = await sandbox(stories, LOWERED_RULES, 100);
        expect(other.cases).toEqual(report.cases);
      }),
      { numRuns: 60 },
    );
  });

  it('shows the case diff in the summary and the HTML page', async () => {
    const report = await sandbox([{ paid: 60, release: 30, cancel: null, channel: 'WEB', lag: 1 }], LOWERED_RULES, 10);
    expect(report.totals.cases_opened).toBe(1);
    expect(report.cases.rules.left_out).toEqual(['source-lagging', 'source-silent', 'unlinked-shipment']);
    const summary = formatSummary(report);
    expect(summary).toContain('exception cases   1 opened, 0 closed, 0 changed (1 orders)');
    expect(summary).toContain('SO-000 paid-not-released opened: (no case) -> breached, resolved (self_healed)');
    const page = renderHtmlReport(report);
    expect(page).toContain('SO-000');
    expect(page).toContain('breached, resolved (self_healed); critical; threshold 20m');
    expect(page).not.toMatch(/<script|<link|src=/);
  });
});
