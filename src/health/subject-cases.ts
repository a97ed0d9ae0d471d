import type { CaseBook } from './case-book.js';

/**
 * Unresolved cases of a subject that no live slot stands for (restored after a takeover, or of a
 * rule no longer loaded) self-heal at `at`. Settled shipment and source cases are retired.
 */
export function healOrphans(book: CaseBook, subjectId: string, live: () => ReadonlySet<string>, at: number): void {
  if (!book.subjectHasCases(subjectId)) return;
  const liveIds = live();
  for (const id of book.idsOf(subjectId)) {
    const held = book.get(id);
    if (held === undefined || liveIds.has(id) || held.status === 'resolved') continue;
    book.heal(id, at, held.evidence);
    if (held.subject !== 'order') book.retire(id);
  }
}

/**
 * The `since` of the held, unresolved case of a subject and rule, as an ISO string: a worker that
 * restored its cases carries them on from there instead of from its own first input.
 */
export function openSince(book: CaseBook, subjectId: string, rule: string): string | undefined {
  if (!book.subjectHasCases(subjectId)) return undefined;
  for (const id of book.idsOf(subjectId)) {
    const held = book.get(id);
    if (held !== undefined && held.rule === rule && held.status !== 'resolved') return held.since;
  }
  return undefined;
}
