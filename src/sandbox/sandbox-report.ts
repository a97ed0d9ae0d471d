import { caseOutcome, type CaseTotals, type OrderCasesDiff } from './case-diff.js';
import type { FieldChange } from './view-diff.js';

/** How one order's golden view differs between production and the candidate. */
export interface OrderDiff {
  order_id: string;
  /** `changed`: both have a view; `appeared`/`disappeared`: only the candidate / only production has one. */
  change: 'changed' | 'appeared' | 'disappeared';
  /** The canonical status before (production) and after (candidate), when it moved. */
  status?: { from: string | null; to: string | null };
  /** View exceptions the candidate raises that production does not (opened) and the reverse (closed). */
  exceptions: { opened: string[]; closed: string[] };
  fields: FieldChange[];
}

/** A source message that is a dead letter on one side only. */
export interface DeadLetterDiff {
  topic: string;
  partition: number;
  offset: string;
  kafka_time: string;
  /** The order the message belongs to, as far as either side knows ('' when neither does). */
  order_id: string;
  /** The error code and reason of the side that rejects it. */
  code: string;
  reason: string;
}

export interface SandboxReport {
  /** Kafka (record) time window, ISO-8601 UTC, `from` included, `to` excluded. */
  window: { from: string; to: string };
  pipelines: string;
  rules: string | null;
  orders_filter: string | null;
  generated_at: string;
  totals: {
    /** Orders whose candidate views were computed and compared. */
    orders_compared: number;
    orders_changed: number;
    /** Orders left out: some of their lake events have no stored raw message (recorded before raw storage). */
    orders_incomplete: number;
    /** Source messages decoded again with the candidate pipelines. */
    messages: number;
    field_changes: number;
    dead_letters_created: number;
    dead_letters_cured: number;
    /** Tracking messages of the window whose order neither production nor the candidate could name. */
    unlinked_tracking: number;
    /** Candidate events routed to an order outside the compared set (its view is then not compared). */
    events_outside: number;
    /** Exception cases only the candidate opens (0 when cases are not computed). */
    cases_opened: number;
    /** Cases production's files open that the candidate does not. */
    cases_closed: number;
    /** Cases both open, with another outcome (severity, status, at risk / breached, due time...). */
    cases_changed: number;
    /** Orders whose cases differ. */
    orders_cases_changed: number;
  };
  /** Orders per canonical-status move, most first. */
  status_moves: Array<{ from: string | null; to: string | null; orders: number }>;
  /** Orders per view exception opened or closed by the candidate. */
  exceptions: { opened: Record<string, number>; closed: Record<string, number> };
  orders: OrderDiff[];
  dead_letters: { created: DeadLetterDiff[]; cured: DeadLetterDiff[] };
  /** Orders left out of the comparison, with how many lake events lack their raw message. */
  incomplete: Array<{ order_id: string; missing_messages: number }>;
  /**
   * Exception cases: the order rules run twice on each compared order's history, production's rules
   * on production's pipelines' views and the candidate's on the candidate's (see README).
   */
  cases: SandboxCases;
  seconds: number;
}

export interface SandboxCases {
  /** false when the run was asked not to compute cases (then everything below is empty). */
  computed: boolean;
  /** How the cases were computed, in one sentence. */
  note: string;
  /** What the case comparison leaves out. */
  limits: string[];
  /** The order rules judged on each side, by name. */
  rules: { production: string[]; candidate: string[]; left_out: string[] };
  /** The event time every order's rules are finally judged at (the window's end), ISO-8601 UTC. */
  judged_until: string | null;
  by_rule: CaseTotals['by_rule'];
  /** Orders whose cases differ, sorted by order id. */
  orders: OrderCasesDiff[];
}

/** Milliseconds as a short duration (`45m`, `1h30m`, `90s`). */
export function showDuration(ms: number): string {
  if (ms % 60_000 !== 0) return `${ms / 1000}s`;
  const minutes = ms / 60_000;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h === 0 ? `${m}m` : m === 0 ? `${h}h` : `${h}h${m}m`;
}

/** A case diff as one line: `paid-not-released: (no case) -> at risk, open (threshold 20m, due ...)`. */
export function caseDiffLine(d: OrderCasesDiff['cases'][number]): string {
  const side = (s: typeof d.before) =>
    s === null ? caseOutcome(s) : `${caseOutcome(s)} [${s.severity}, threshold ${showDuration(s.threshold_ms)}, due ${s.due_at ?? '-'}]`;
  return `${d.rule} ${d.change}: ${side(d.before)} -> ${side(d.after)}${d.fields.length > 0 ? ` (${d.fields.join(', ')})` : ''}`;
}

/** A readable terminal summary of a report. */
export function formatSummary(report: SandboxReport, maxOrders = 20): string {
  const t = report.totals;
  const lines = [
    `sandbox ${report.pipelines} over ${report.window.from} .. ${report.window.to}${report.orders_filter ? ` (orders ${report.orders_filter})` : ''}`,
    `  orders compared   ${t.orders_compared}`,
    `  orders changed    ${t.orders_changed} (${t.field_changes} fields)`,
    `  messages decoded  ${t.messages}`,
    `  dead letters      ${t.dead_letters_created} created, ${t.dead_letters_cured} cured`,
  ];
  if (t.orders_incomplete > 0) lines.push(`  left out          ${t.orders_incomplete} orders with events recorded before raw storage`);
  if (t.unlinked_tracking > 0) lines.push(`  unlinked          ${t.unlinked_tracking} tracking messages with no order on either side`);
  if (t.events_outside > 0) lines.push(`  outside           ${t.events_outside} candidate events routed to orders outside the compared set`);
  if (report.status_moves.length > 0) {
    lines.push('  status moves');
    for (const m of report.status_moves) lines.push(`    ${m.from ?? '(none)'} -> ${m.to ?? '(none)'}: ${m.orders}`);
  }
  for (const [side, counts] of [['opened', report.exceptions.opened], ['closed', report.exceptions.closed]] as const) {
    const entries = Object.entries(counts);
    if (entries.length > 0) lines.push(`  exceptions ${side}  ${entries.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  }
  if (report.orders.length > 0) {
    lines.push('  changed orders');
    for (const o of report.orders.slice(0, maxOrders)) {
      const first = o.fields.slice(0, 3).map((f) => `${f.path || '(view)'}: ${show(f.before)} -> ${show(f.after)}`);
      lines.push(`    ${o.order_id} ${o.change}${o.fields.length > 3 ? ` (${o.fields.length} fields)` : ''}: ${first.join('; ')}`);
    }
    if (report.orders.length > maxOrders) lines.push(`    … ${report.orders.length - maxOrders} more in the JSON or HTML report`);
  }
  if (!report.cases.computed) lines.push(`  exception cases   not computed (${report.cases.note})`);
  else {
    lines.push(`  exception cases   ${t.cases_opened} opened, ${t.cases_closed} closed, ${t.cases_changed} changed (${t.orders_cases_changed} orders)`);
    for (const [rule, n] of Object.entries(report.cases.by_rule)) lines.push(`    ${rule}: ${n.opened} opened, ${n.closed} closed, ${n.changed} changed`);
    for (const o of report.cases.orders.slice(0, maxOrders)) for (const d of o.cases) lines.push(`    ${o.order_id} ${caseDiffLine(d)}`);
    if (report.cases.orders.length > maxOrders) lines.push(`    … ${report.cases.orders.length - maxOrders} more orders in the JSON or HTML report`);
    if (report.cases.rules.left_out.length > 0) lines.push(`    not judged (need every source at once): ${report.cases.rules.left_out.join(', ')}`);
  }
  lines.push(`  time              ${report.seconds} s`);
  return lines.join('\n');
}

/** A value as one short line of text. */
export function show(v: unknown): string {
  if (v === undefined) return '(absent)';
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
