// The case queue's model: which cases the queue holds and in what order, with no DOM. Plain JS,
// loaded by index.html and by the unit tests (vm).
//
// The order is stable: severity (critical, warning, info), then opened_at (oldest first), then
// case_id, the API's sort (GET /cases). A live change never moves a case except by that key: a
// new case goes to its sorted place, an updated case stays where it is (its key does not change),
// a resolved case leaves. So the row under an agent's mouse stays the row they meant to click.
(() => {
  'use strict';

  const SEVERITIES = Object.freeze(['critical', 'warning', 'info']);
  const SEVERITY_RANK = Object.freeze({ critical: 0, warning: 1, info: 2 });
  const ACTIVE = Object.freeze(['open', 'acknowledged']);

  const rank = (severity) => (severity in SEVERITY_RANK ? SEVERITY_RANK[severity] : SEVERITIES.length);
  const millis = (iso) => {
    const ms = Date.parse(iso);
    return Number.isFinite(ms) ? ms : Number.POSITIVE_INFINITY;
  };

  /** The queue's sort: severity, then opened_at (oldest first), then case_id. */
  function compareCases(a, b) {
    return (
      rank(a.severity) - rank(b.severity) ||
      millis(a.opened_at) - millis(b.opened_at) ||
      (a.case_id < b.case_id ? -1 : a.case_id > b.case_id ? 1 : 0)
    );
  }

  /**
   * Whether a case belongs in a queue with this filter: `queue`, `severity` and `rule` are lists
   * (empty or missing = any); `status` 'active' (default: open and acknowledged) or 'all'.
   */
  function matchesFilter(filter, c) {
    const f = filter || {};
    const any = (list, value) => !list || list.length === 0 || list.includes(value);
    if ((f.status || 'active') === 'active' && !ACTIVE.includes(c.status)) return false;
    return any(f.queue, c.queue) && any(f.severity, c.severity) && any(f.rule, c.rule);
  }

  /**
   * The cases of one queue, sorted. `apply` takes a case as the feed or an action returned it and
   * says what changed: `{ op: 'insert', caseId, before }` (before: the id of the case it now
   * precedes, or null at the end), `{ op: 'update', caseId }` (same place), `{ op: 'move', caseId,
   * before }` (its sort key changed), `{ op: 'remove', caseId }`, or null (nothing: an older
   * version, or a case the queue does not hold and would not take).
   */
  function createCaseQueue(initialFilter) {
    let filter = initialFilter || {};
    /** Sorted. */
    let cases = [];
    const byId = new Map();
    /**
     * The version at which each case left: an older or equal copy arriving later (an action's
     * answer overtaken by the feed) must not bring it back.
     */
    const gone = new Map();
    const GONE_MAX = 20000;

    /** Where `c` goes: the first index whose case sorts after it. */
    function slot(c) {
      let lo = 0;
      let hi = cases.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (compareCases(cases[mid], c) < 0) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    }

    function indexOf(c) {
      const i = slot(c);
      return i < cases.length && cases[i].case_id === c.case_id ? i : cases.findIndex((x) => x.case_id === c.case_id);
    }

    function insert(c) {
      const i = slot(c);
      cases.splice(i, 0, c);
      byId.set(c.case_id, c);
      return i + 1 < cases.length ? cases[i + 1].case_id : null;
    }

    function remove(caseId, version) {
      const held = byId.get(caseId);
      if (!held) return false;
      cases.splice(indexOf(held), 1);
      byId.delete(caseId);
      gone.set(caseId, Math.max(version ?? 0, held.version ?? 0));
      if (gone.size > GONE_MAX) gone.delete(gone.keys().next().value);
      return true;
    }

    return {
      get filter() {
        return filter;
      },
      /** A new filter empties the queue: the feed sends the cases of the new filter. */
      setFilter(next) {
        filter = next || {};
        cases = [];
        byId.clear();
        gone.clear();
      },
      get size() {
        return cases.length;
      },
      get(caseId) {
        return byId.get(caseId);
      },
      /** The cases in queue order (a copy). */
      list() {
        return cases.slice();
      },
      /** `{ case_id: version }` of what the queue holds, for a resuming subscribe. */
      versions() {
        return Object.fromEntries(cases.map((c) => [c.case_id, c.version]));
      },
      apply(c, options = {}) {
        const held = byId.get(c.case_id);
        const version = c.version ?? 0;
        if (options.removed || !matchesFilter(filter, c)) {
          if (held && (options.removed || version > (held.version ?? 0))) {
            remove(c.case_id, version);
            return { op: 'remove', caseId: c.case_id };
          }
          if (!held) gone.set(c.case_id, Math.max(version, gone.get(c.case_id) ?? 0));
          return null;
        }
        if (!held) {
          if (gone.has(c.case_id) && version <= gone.get(c.case_id)) return null;
          gone.delete(c.case_id);
          return { op: 'insert', caseId: c.case_id, before: insert(c) };
        }
        if ((c.version ?? 0) <= (held.version ?? 0)) return null;
        if (compareCases(held, c) === 0 && compareCases(c, held) === 0) {
          const i = indexOf(held);
          cases[i] = c;
          byId.set(c.case_id, c);
          return { op: 'update', caseId: c.case_id };
        }
        remove(c.case_id);
        gone.delete(c.case_id);
        return { op: 'move', caseId: c.case_id, before: insert(c) };
      },
      /** Drops a case (it left the filter). */
      drop(caseId) {
        return remove(caseId) ? { op: 'remove', caseId } : null;
      },
      /** Counts per severity. */
      counts() {
        const out = { critical: 0, warning: 0, info: 0 };
        for (const c of cases) if (c.severity in out) out[c.severity]++;
        return out;
      },
    };
  }

  globalThis.orderlakeCaseQueue = Object.freeze({ SEVERITIES, compareCases, matchesFilter, createCaseQueue });
})();
