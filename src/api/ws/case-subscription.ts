import type { CaseChange, HealthCase } from '../../health/index.js';
import { compareCaseUrgency, compileCaseFilter, type CompiledCaseFilter } from './case-filter.js';
import type { CaseSubscribeMessage, SubscriptionId } from './feed-protocol.js';
import type { CaseItem, OutboxItem } from './outbox.js';

/**
 * One cases subscription of one connection. Every message carries the whole case, so unlike an
 * order subscription it keeps no history and no record of what the client holds: a client missing
 * steps in between loses nothing, since the newest case replaces its copy.
 */
export interface CaseSubscription {
  readonly stream: 'cases';
  readonly id: SubscriptionId;
  readonly filter: CompiledCaseFilter;
  /**
   * What a live change means for this subscription: the case while it matches (entering or
   * changed), one `removed` item when it stops matching; null when it is none of its business.
   */
  itemFor(change: CaseChange): CaseItem | null;
}

export interface OpenedCaseSubscription {
  subscription: CaseSubscription;
  /** `subscribed`, the snapshot, then what a resuming client missed. */
  items: OutboxItem[];
}

/**
 * Opens a cases subscription against the cases held now. Runs synchronously between two published
 * batches, so the snapshot and the resume answers meet the live changes that follow without a gap
 * or a duplicate.
 *
 * Resume, for each case in `versions`: held at the client's version and matching → nothing; held
 * at another version → the case as it is now (`removed` when it no longer matches); held at the
 * client's version but not matching → `removed`. A case this worker does not hold (another
 * worker's, or forgotten with its order) gets nothing — as a client that never disconnected
 * would not have heard of it either.
 */
export function openCaseSubscription(
  message: CaseSubscribeMessage,
  deps: { held: readonly HealthCase[]; maxSnapshotCases: number },
): OpenedCaseSubscription {
  const filter = compileCaseFilter(message.filter);
  const id = message.id;
  const versions = new Map(Object.entries(message.versions ?? {}));

  const byId = new Map<string, HealthCase>();
  const matching: HealthCase[] = [];
  for (const held of deps.held) {
    byId.set(held.case_id, held);
    if (!versions.has(held.case_id) && filter.matches(held)) matching.push(held);
  }
  matching.sort(compareCaseUrgency);
  const truncated = matching.length > deps.maxSnapshotCases;
  const cases = truncated ? matching.slice(0, deps.maxSnapshotCases) : matching;

  const items: OutboxItem[] = [
    { kind: 'message', message: { type: 'subscribed', id } },
    { kind: 'message', message: { type: 'case_snapshot', id, cases, ...(truncated ? { truncated: true as const } : {}) } },
  ];

  for (const [caseId, clientVersion] of versions) {
    const held = byId.get(caseId);
    if (held === undefined) continue;
    const matches = filter.matches(held);
    if (held.version === clientVersion && matches) continue;
    items.push({ kind: 'case', subscription: id, caseId, fromVersion: clientVersion, version: held.version, case: held, removed: !matches });
  }

  return {
    subscription: {
      stream: 'cases',
      id,
      filter,
      itemFor(change) {
        const was = filter.matches(change.previous);
        const now = filter.matches(change.case);
        if (!was && !now) return null;
        return {
          kind: 'case',
          subscription: id,
          caseId: change.caseId,
          fromVersion: change.previous?.version ?? 0,
          version: change.case.version,
          case: change.case,
          removed: !now,
        };
      },
    },
    items,
  };
}
