import { compareCodePoints } from '../../golden/index.js';
import type { HealthCase, Severity } from '../../health/index.js';
import type { CaseFilter } from './feed-protocol.js';

/** A case filter prepared for matching many cases: lists become sets once, not per change. */
export interface CompiledCaseFilter {
  readonly filter: CaseFilter;
  matches(held: HealthCase | null): boolean;
}

export function compileCaseFilter(filter: CaseFilter): CompiledCaseFilter {
  const queues = filter.queue ? new Set(filter.queue) : null;
  const severities = filter.severity ? new Set<string>(filter.severity) : null;
  const rules = filter.rule ? new Set(filter.rule) : null;
  const activeOnly = (filter.status ?? 'active') === 'active';
  return {
    filter,
    matches(held) {
      if (held === null) return false;
      if (activeOnly && held.status === 'resolved') return false;
      if (queues !== null && !queues.has(held.queue)) return false;
      if (severities !== null && !severities.has(held.severity)) return false;
      if (rules !== null && !rules.has(held.rule)) return false;
      return true;
    },
  };
}

const SEVERITY_RANK: Readonly<Record<Severity, number>> = { critical: 0, warning: 1, info: 2 };

/**
 * The work-queue order: most severe first, then the oldest (`opened_at`), then `case_id` — the
 * order of `GET /cases`, so a snapshot cut at the cap keeps what an agent should see first.
 */
export function compareCaseUrgency(a: HealthCase, b: HealthCase): number {
  return (
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    compareCodePoints(a.opened_at, b.opened_at) ||
    compareCodePoints(a.case_id, b.case_id)
  );
}
