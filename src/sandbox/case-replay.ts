import type { GoldenViewBody } from '../golden/index.js';
import { createHealthEngine, subjectOf, type HealthCase, type HealthEngine, type Rule } from '../health/index.js';

/** Which files a health engine judges with: production's (`baseline`) or the candidate's. */
export type CaseSide = 'baseline' | 'candidate';

/**
 * The order rules (waiting and exception) of a rule set: what one order's history can judge. The
 * source rules (silent, lagging) and unlinked-shipment need every source's events, or the link
 * stage's waits, in one place, which a batch of orders does not have.
 */
export function orderRulesOf(rules: readonly Rule[]): Rule[] {
  return rules.filter((rule) => subjectOf(rule.condition.kind) === 'order');
}

export interface OrderCaseReplayOptions {
  baselineRules: readonly Rule[];
  candidateRules: readonly Rule[];
  /** `ORDERLAKE_HEALTH_LATENESS_MS`, as production's engines run with it. Unit: ms. */
  allowedLatenessMs: number;
}

/**
 * Two health engines per order, fed one history: production's rules judge the views production's
 * pipelines give, the candidate's rules the candidate's views. Each order gets its own pair, so the
 * event time its rules see is its own: before each of its messages, that message's Kafka time (what
 * production's watermark, moved by every source's events, had about reached when it arrived — less
 * the lateness, as there), then the window's end. That makes an order's cases independent of which
 * orders share its batch and of how either side decodes, and an unchanged candidate gives both
 * engines exactly the same inputs — hence exactly the same cases.
 */
export interface OrderCaseReplay {
  /** A view change of `orderId` on one side, in the order the merge made it. */
  view(side: CaseSide, orderId: string, view: GoldenViewBody | null, version: number): void;
  /**
   * A message of `orderId` arrived at `kafkaTime` (call before its view changes): event time moves
   * to it, less the allowed lateness, for both of the order's engines alike.
   */
  advance(orderId: string, kafkaTime: number): void;
  /**
   * Event time moves to `until` for both engines (waits due by then are judged), and the order's
   * cases on each side are returned; the order is forgotten.
   */
  finish(orderId: string, until: number): { baseline: HealthCase[]; candidate: HealthCase[] };
}

export function createOrderCaseReplay(options: OrderCaseReplayOptions): OrderCaseReplay {
  const baselineRules = orderRulesOf(options.baselineRules);
  const candidateRules = orderRulesOf(options.candidateRules);
  const lateness = options.allowedLatenessMs;
  const pairs = new Map<string, Record<CaseSide, HealthEngine>>();

  function pairOf(orderId: string): Record<CaseSide, HealthEngine> {
    let pair = pairs.get(orderId);
    if (pair === undefined) {
      pair = {
        baseline: createHealthEngine({ rules: baselineRules, allowedLatenessMs: lateness }),
        candidate: createHealthEngine({ rules: candidateRules, allowedLatenessMs: lateness }),
      };
      pairs.set(orderId, pair);
    }
    return pair;
  }

  return {
    view(side, orderId, view, version) {
      pairOf(orderId)[side].apply([{ type: 'view', orderId, view, version }]);
    },
    advance(orderId, kafkaTime) {
      const pair = pairOf(orderId);
      const input = [{ type: 'watermark', eventTime: kafkaTime }] as const;
      pair.baseline.apply(input);
      pair.candidate.apply(input);
    },
    finish(orderId, until) {
      const pair = pairs.get(orderId);
      if (pair === undefined) return { baseline: [], candidate: [] };
      pairs.delete(orderId);
      // A watermark input has the lateness taken off, like an arrival: add it so event time reaches `until`.
      const end = [{ type: 'watermark', eventTime: until + lateness }] as const;
      pair.baseline.apply(end);
      pair.candidate.apply(end);
      return { baseline: pair.baseline.casesOfOrder(orderId), candidate: pair.candidate.casesOfOrder(orderId) };
    },
  };
}
