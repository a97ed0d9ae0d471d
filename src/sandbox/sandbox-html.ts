import { caseOutcome, type CaseState } from './case-diff.js';
import { show, showDuration, type SandboxReport } from './sandbox-report.js';

function esc(v: unknown): string {
  return String(v).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function table(head: readonly string[], rows: ReadonlyArray<readonly unknown[]>): string {
  if (rows.length === 0) return '<p class="none">none</p>';
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function caseCell(state: CaseState | null): string {
  if (state === null) return caseOutcome(state);
  return `${caseOutcome(state)}; ${state.severity}; threshold ${showDuration(state.threshold_ms)}; since ${state.since}; due ${state.due_at ?? '-'}${
    state.resolved_at ? `; resolved ${state.resolved_at}` : ''
  }`;
}

function casesHtml(report: SandboxReport): string {
  const c = report.cases;
  if (!c.computed) return `<p>Not computed: ${esc(c.note)}.</p>`;
  const rows = c.orders.flatMap((o) => o.cases.map((d) => [o.order_id, d.rule, d.change, caseCell(d.before), caseCell(d.after), d.fields.join(', ') || '—']));
  return `<p>${esc(c.note)}; judged until <code>${esc(c.judged_until)}</code>. Rules: production ${esc(c.rules.production.join(', ') || 'none')}; candidate ${esc(
    c.rules.candidate.join(', ') || 'none',
  )}.</p>
${table(['rule', 'opened', 'closed', 'changed'], Object.entries(c.by_rule).map(([rule, n]) => [rule, n.opened, n.closed, n.changed]))}
<h3>Cases per order (${c.orders.length} orders)</h3>${table(['order', 'rule', 'change', 'production (before)', 'candidate (after)', 'fields changed'], rows)}
<h3>Limits</h3><ul>${c.limits.map((l) => `<li>${esc(l)}</li>`).join('')}${
    c.rules.left_out.length > 0 ? `<li>not judged: ${esc(c.rules.left_out.join(', '))}</li>` : ''
  }</ul>`;
}

/**
 * The report as one self-contained HTML page (no script, no external style or font): the same
 * totals, status moves, exceptions, per-order field changes, dead letters, left-out orders and
 * exception-case differences as the JSON report, every value escaped.
 */
export function renderHtmlReport(report: SandboxReport): string {
  const t = report.totals;
  const totals: Array<[string, unknown]> = [
    ['Orders compared', t.orders_compared],
    ['Orders changed', t.orders_changed],
    ['Fields changed', t.field_changes],
    ['Messages decoded', t.messages],
    ['Dead letters created', t.dead_letters_created],
    ['Dead letters cured', t.dead_letters_cured],
    ['Orders left out (no raw messages)', t.orders_incomplete],
    ['Tracking messages with no order', t.unlinked_tracking],
    ['Events routed outside the compared orders', t.events_outside],
    ['Exception cases opened (candidate only)', t.cases_opened],
    ['Exception cases closed (production only)', t.cases_closed],
    ['Exception cases changed', t.cases_changed],
    ['Orders whose cases differ', t.orders_cases_changed],
  ];
  const orders = report.orders
    .map(
      (o) => `<section class="order"><h3>${esc(o.order_id)} <span class="tag">${esc(o.change)}</span>${
        o.status ? ` <span class="status">${esc(o.status.from ?? '(none)')} → ${esc(o.status.to ?? '(none)')}</span>` : ''
      }</h3>${
        o.exceptions.opened.length + o.exceptions.closed.length > 0
          ? `<p>exceptions opened: ${esc(o.exceptions.opened.join(', ') || '—')}; closed: ${esc(o.exceptions.closed.join(', ') || '—')}</p>`
          : ''
      }${table(['field', 'production (before)', 'candidate (after)'], o.fields.map((f) => [f.path || '(whole view)', show(f.before), show(f.after)]))}</section>`,
    )
    .join('\n');
  const dl = (list: SandboxReport['dead_letters']['created']) =>
    table(['topic', 'partition', 'offset', 'Kafka time', 'order', 'code', 'reason'], list.map((d) => [d.topic, d.partition, d.offset, d.kafka_time, d.order_id, d.code, d.reason]));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>orderlake sandbox ${esc(report.window.from)} – ${esc(report.window.to)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1d232a;max-width:1200px}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccd}h3{font-size:1rem;margin:1.2rem 0 .3rem}
table{border-collapse:collapse;width:100%;margin:.3rem 0}th,td{border:1px solid #d5d9e0;padding:.25rem .5rem;text-align:left;vertical-align:top;font-family:ui-monospace,monospace;font-size:12.5px;word-break:break-word}
th{background:#f1f3f6;font-family:system-ui,sans-serif}.tag{background:#eef;border-radius:3px;padding:0 .4rem;font-weight:normal}.status{color:#a33;font-weight:normal}.none{color:#777}
</style></head><body>
<h1>orderlake sandbox</h1>
<p>Candidate pipelines <code>${esc(report.pipelines)}</code>${report.rules ? `, rules <code>${esc(report.rules)}</code>` : ''}, against production for Kafka time
<code>${esc(report.window.from)}</code> – <code>${esc(report.window.to)}</code>${report.orders_filter ? `, orders <code>${esc(report.orders_filter)}</code>` : ''}. Generated ${esc(report.generated_at)} in ${esc(report.seconds)} s.</p>
<h2>Totals</h2>${table(['', ''], totals)}
<h2>Status moves</h2>${table(['from (production)', 'to (candidate)', 'orders'], report.status_moves.map((m) => [m.from ?? '(none)', m.to ?? '(none)', m.orders]))}
<h2>Exceptions</h2>${table(['exception', 'opened', 'closed'], [...new Set([...Object.keys(report.exceptions.opened), ...Object.keys(report.exceptions.closed)])].sort().map((e) => [e, report.exceptions.opened[e] ?? 0, report.exceptions.closed[e] ?? 0]))}
<h2>Changed orders (${report.orders.length})</h2>${orders || '<p class="none">none</p>'}
<h2>Dead letters the candidate would create</h2>${dl(report.dead_letters.created)}
<h2>Dead letters the candidate would cure</h2>${dl(report.dead_letters.cured)}
<h2>Orders left out</h2>${table(['order', 'lake events without a raw message'], report.incomplete.map((i) => [i.order_id, i.missing_messages]))}
<h2>Exception cases</h2>${casesHtml(report)}
</body></html>
`;
}
