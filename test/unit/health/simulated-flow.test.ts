import { beforeAll, describe, expect, it } from 'vitest';
import { createHealthEngine, type CaseChange, type HealthCase, type HealthInput, type Rule } from '../../../src/health/index.js';
import { generateScenario, scenarioManifest, type ReplayLine, type ScenarioKind } from '../../../src/simulator/index.js';
import { referenceRules } from './support/reference-rules.js';
import { simulatedInputs } from './support/simulated-inputs.js';

const OPTIONS = { orders: 400, seed: 11, startTime: Date.UTC(2026, 10, 20) };
const RULES: readonly Rule[] = [...referenceRules().values()];

let lines: ReplayLine[];
let kinds: Map<string, ScenarioKind>;
let staysStuck: Map<string, boolean>;
let batches: HealthInput[][];

beforeAll(async () => {
  lines = generateScenario(OPTIONS);
  const manifest = scenarioManifest(OPTIONS);
  kinds = new Map(manifest.map((order) => [order.order_id, order.kind]));
  staysStuck = new Map(manifest.flatMap((order) => (order.stays_stuck === undefined ? [] : [[order.order_id, order.stays_stuck] as const])));
  batches = await simulatedInputs(lines, 100);
});

function run(inputBatches: readonly HealthInput[][]): CaseChange[] {
  const engine = createHealthEngine({ rules: RULES });
  return inputBatches.flatMap((batch) => engine.apply(batch));
}

/** The newest version of every case the changes made. */
function finalCases(changes: readonly CaseChange[]): Map<string, HealthCase> {
  return new Map(changes.map((change) => [change.caseId, change.case]));
}

function casesOf(changes: readonly CaseChange[], kind: ScenarioKind): HealthCase[] {
  return [...finalCases(changes).values()].filter((held) => held.order_id !== null && kinds.get(held.order_id) === kind);
}

describe('the reference rules over simulated traffic (400 orders, replayed through normalize, link and merge)', { timeout: 60_000 }, () => {
  it('replaying the same recording twice gives the same case changes, whatever the engine batches', () => {
    const changes = run(batches);
    expect(changes.length).toBeGreaterThan(100);
    expect(run(batches)).toEqual(changes);
    expect(run([batches.flat()])).toEqual(changes);
  });

  it('source and waiting cases do not depend on how the merge batched the recording', async () => {
    const finer = finalCases(run(await simulatedInputs(lines, 7)));
    const coarser = finalCases(run(batches));
    // Exception cases open at the order's newest event time when the code first shows, which a
    // coarser batch can only see later; everything else is told in event time.
    const timed = (cases: Map<string, HealthCase>) =>
      [...cases.values()]
        .filter((held) => !['short-pick', 'address-changed-after-packing', 'cancelled-after-shipment', 'carrier-exception', 'predicted-late'].includes(held.rule))
        .map((held) => [held.case_id, held.rule, held.status, held.resolution, held.opened_at, held.at_risk_at, held.breached_at, held.resolved_at])
        .sort();
    expect(timed(finer)).toEqual(timed(coarser));
    expect(timed(coarser).length).toBeGreaterThan(20);
  });

  it('opens nothing for healthy orders', () => {
    const changes = run(batches);
    for (const kind of ['happy', 'unpaid', 'cancelBeforeShipment', 'addressChangeBeforePacking', 'storeFulfilment'] as const) {
      expect(casesOf(changes, kind), kind).toEqual([]);
    }
  });

  it('opens the case of every exception story', () => {
    const changes = run(batches);
    const expected: Array<[ScenarioKind, string]> = [
      ['addressChangeAfterPacking', 'address-changed-after-packing'],
      ['shortPick', 'short-pick'],
      ['cancelAfterShipment', 'cancelled-after-shipment'],
      ['carrierException', 'carrier-exception'],
      ['lateDelivery', 'promised-delivery-passed'],
      ['revisedEta', 'predicted-late'],
      ['releaseDelayed', 'paid-not-released'],
      ['shipmentDelayed', 'released-not-shipped'],
      ['carrierScanDelayed', 'shipped-no-carrier-scan'],
      // The order shows no shipment until the WMS links the tracking number.
      ['linkDelayed', 'released-not-shipped'],
    ];
    for (const [kind, rule] of expected) {
      const orders = [...kinds].filter(([, k]) => k === kind).map(([id]) => id);
      expect(orders.length, kind).toBeGreaterThan(0);
      const withCase = new Set(casesOf(changes, kind).filter((held) => held.rule === rule).map((held) => held.order_id));
      expect(orders.filter((id) => !withCase.has(id)), `${kind} orders without a ${rule} case`).toEqual([]);
    }
  });

  it('warns, then breaches every stuck order on time; heals it when the missing event comes, or keeps it open', () => {
    const changes = run(batches);
    const stuckRules: Array<[ScenarioKind, string]> = [
      ['releaseDelayed', 'paid-not-released'],
      ['shipmentDelayed', 'released-not-shipped'],
      ['carrierScanDelayed', 'shipped-no-carrier-scan'],
      ['linkDelayed', 'released-not-shipped'],
    ];
    for (const [kind, rule] of stuckRules) {
      const held = casesOf(changes, kind).filter((c) => c.rule === rule);
      expect(new Set(held.map((c) => staysStuck.get(c.order_id as string))), kind).toEqual(new Set([true, false]));
      for (const c of held) {
        const label = `${c.order_id} (${kind}) ${rule}`;
        expect(Date.parse(c.breached_at as string) - Date.parse(c.since), label).toBe(c.threshold_ms);
        expect(Date.parse(c.at_risk_at as string), label).toBeLessThan(Date.parse(c.breached_at as string));
        expect(c.status === 'open', label).toBe(staysStuck.get(c.order_id as string));
        if (c.status === 'resolved') expect(c.resolution, label).toBe('self_healed');
      }
    }
  });
});
