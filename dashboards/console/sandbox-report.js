// The console's sandbox page, the parts that need no page: which
// uploaded file names the server takes, and the report of POST /admin/sandbox as HTML. Plain JS,
// loaded by index.html and by the unit tests (vm); the page wiring is in console.js.
(() => {
  'use strict';

  /** What the server takes per uploaded file (src/api/routes/route-schemas.ts). */
  const MAX_FILE_CHARS = 256 * 1024;
  const MAX_FILES = 50;
  /** Changed orders and fields per order shown on the page; the JSON download holds them all. */
  const MAX_ORDERS = 200;
  const MAX_FIELDS = 60;

  /** A plain file name ending .yaml or .yml, as the server checks it; null when fine, else why not. */
  function fileNameProblem(name) {
    if (!/\.ya?ml$/.test(name)) return `${name}: only .yaml or .yml files`;
    if (!/^[A-Za-z0-9_][A-Za-z0-9._-]*\.ya?ml$/.test(name) || name.length > 128) {
      return `${name}: a file name may hold letters, digits, '.', '_' and '-' only (and not start with '.')`;
    }
    return null;
  }

  /** A value as one short line: `"PICKED"`, `3`, `null`, `(absent)`. */
  function showValue(v) {
    if (v === undefined) return '(absent)';
    const s = JSON.stringify(v);
    return s.length > 140 ? `${s.slice(0, 137)}...` : s;
  }

  /** A time as the API writes them (ISO-8601 UTC): shown in the picked zone like every other time. */
  const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;

  const int = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');

  /**
   * The report as HTML. `f` holds the page's formatters: `esc(text)`, `time(iso)` (with its zone)
   * and `badge(status)`.
   */
  function renderReport(report, f) {
    const { esc } = f;
    const t = report.totals || {};
    const status = (s) => (s === null || s === undefined ? '<span class="muted">(none)</span>' : f.badge(s));
    const value = (v) => (v === undefined ? '<span class="muted">(absent)</span>' : `<code>${esc(showValue(v))}</code>`);
    const tile = (k, n, tone = '') => `<div class="kv sb-total${tone ? ` ${tone}` : ''}" data-total="${esc(k)}"><span class="k">${esc(k.replace(/_/g, ' '))}</span><span class="v">${int(n)}</span></div>`;
    const out = [];

    out.push(
      `<div class="sb-head"><div><h2>Diff</h2><p class="small"><span class="k">window</span> ${f.time(report.window.from)} → ${f.time(report.window.to)}` +
        ` <span class="muted">(Kafka time, to excluded)</span></p>` +
        `<p class="small"><span class="k">pipelines</span> <code>${esc(report.pipelines)}</code>` +
        `${report.rules ? ` <span class="k">rules</span> <code>${esc(report.rules)}</code>` : ''}` +
        `${report.orders_filter ? ` <span class="k">orders</span> <code>${esc(report.orders_filter)}</code>` : ''}</p></div>` +
        `<div class="sb-meta muted small">${Number.isFinite(report.seconds) ? `${esc(report.seconds)} s` : ''}${report.generated_at ? ` · ${f.time(report.generated_at)}` : ''}` +
        ` <button type="button" class="act" id="sandbox-download">Download JSON</button></div></div>`,
    );

    const tiles = [
      tile('orders_compared', t.orders_compared),
      tile('orders_changed', t.orders_changed, t.orders_changed > 0 ? 'changed' : 'ok'),
      tile('field_changes', t.field_changes),
      tile('messages', t.messages),
      tile('dead_letters_created', t.dead_letters_created, t.dead_letters_created > 0 ? 'bad' : ''),
      tile('dead_letters_cured', t.dead_letters_cured, t.dead_letters_cured > 0 ? 'good' : ''),
    ];
    for (const k of ['orders_incomplete', 'unlinked_tracking', 'events_outside']) if (t[k] > 0) tiles.push(tile(k, t[k], 'warn'));
    out.push(`<div class="sb-totals">${tiles.join('')}</div>`);

    // Status moves and view exceptions side by side.
    const moves = report.status_moves || [];
    const movesHtml =
      moves.length === 0
        ? '<p class="muted small">No order changes its status.</p>'
        : `<table><thead><tr><th>Production</th><th></th><th>Candidate</th><th>Orders</th></tr></thead><tbody>${moves
            .map((m) => `<tr data-from="${esc(m.from ?? '')}" data-to="${esc(m.to ?? '')}"><td>${status(m.from)}</td><td class="arrow">→</td><td>${status(m.to)}</td><td>${int(m.orders)}</td></tr>`)
            .join('')}</tbody></table>`;
    const exceptions = report.exceptions || { opened: {}, closed: {} };
    const chips = (counts, cls) =>
      Object.entries(counts || {})
        .map(([k, n]) => `<span class="chip ${cls}" data-exception="${esc(k)}">${esc(k)} ${int(n)}</span>`)
        .join(' ');
    const opened = chips(exceptions.opened, 'opened');
    const closed = chips(exceptions.closed, 'closed');
    out.push(
      '<div class="sb-grid">' +
        `<section class="panel" id="sandbox-moves"><h2>Status moves</h2>${movesHtml}</section>` +
        `<section class="panel" id="sandbox-exceptions"><h2>View exceptions</h2>` +
        `<p><span class="k">opened</span> ${opened || '<span class="muted small">none</span>'}</p>` +
        `<p><span class="k">closed</span> ${closed || '<span class="muted small">none</span>'}</p></section>` +
        '</div>',
    );

    // Dead letters the candidate creates (production merged the message) or cures.
    const dl = report.dead_letters || { created: [], cured: [] };
    const dlTable = (rows) =>
      rows.length === 0
        ? '<p class="muted small">none</p>'
        : `<table><thead><tr><th>Message</th><th>Kafka time</th><th>Order</th><th>Code</th><th>Reason</th></tr></thead><tbody>${rows
            .slice(0, MAX_ORDERS)
            .map(
              (d) =>
                `<tr data-key="${esc(`${d.topic}|${d.partition}|${d.offset}`)}"><td class="nowrap"><code>${esc(d.topic)}</code> <span class="muted small">${esc(d.partition)}@${esc(d.offset)}</span></td>` +
                `<td>${f.time(d.kafka_time)}</td><td class="nowrap">${d.order_id ? `<code>${esc(d.order_id)}</code>` : '<span class="muted">—</span>'}</td><td><code>${esc(d.code)}</code></td><td class="reason">${esc(d.reason)}</td></tr>`,
            )
            .join('')}</tbody></table>${rows.length > MAX_ORDERS ? `<p class="muted small">… ${rows.length - MAX_ORDERS} more in the JSON</p>` : ''}`;
    out.push(
      `<section class="panel wide" id="sandbox-dead-created"><h2>Dead letters created <span class="muted">${int((dl.created || []).length)}</span>` +
        ' <span class="muted small">messages production merged that the candidate rejects</span></h2>' +
        `${dlTable(dl.created || [])}</section>` +
        `<section class="panel wide" id="sandbox-dead-cured"><h2>Dead letters cured <span class="muted">${int((dl.cured || []).length)}</span>` +
        ' <span class="muted small">production dead letters the candidate decodes</span></h2>' +
        `${dlTable(dl.cured || [])}</section>`,
    );

    if ((report.incomplete || []).length > 0) {
      out.push(
        `<section class="panel wide" id="sandbox-incomplete"><h2>Left out <span class="muted">${int(report.incomplete.length)}</span></h2>` +
          '<p class="muted small">Orders with lake events recorded before raw messages were kept: not compared on partial history.</p>' +
          `<p>${report.incomplete.slice(0, MAX_ORDERS).map((i) => `<code>${esc(i.order_id)}</code> <span class="muted small">(${int(i.missing_messages)} missing)</span>`).join(', ')}</p></section>`,
      );
    }
    if (report.cases !== undefined && report.cases !== null) out.push(`<section class="panel wide" id="sandbox-cases"><h2>Exception cases</h2>${renderAny(report.cases, f)}</section>`);
    // Changed orders, each with its fields: production's value → the candidate's.
    const orders = report.orders || [];
    const orderHtml = orders
      .slice(0, MAX_ORDERS)
      .map((o) => {
        const fields = o.fields || [];
        const rows = fields
          .slice(0, MAX_FIELDS)
          .map((c) => `<tr data-path="${esc(c.path)}"><td><code>${esc(c.path || '(whole view)')}</code></td><td class="before">${value(c.before)}</td><td class="arrow">→</td><td class="after">${value(c.after)}</td></tr>`)
          .join('');
        const more = fields.length > MAX_FIELDS ? `<p class="muted small">… ${fields.length - MAX_FIELDS} more fields in the JSON</p>` : '';
        const move = o.status ? `<span class="sb-move">${status(o.status.from)} → ${status(o.status.to)}</span>` : '';
        const ex = [...(o.exceptions?.opened || []).map((e) => `<span class="chip opened">+ ${esc(e)}</span>`), ...(o.exceptions?.closed || []).map((e) => `<span class="chip closed">− ${esc(e)}</span>`)].join(' ');
        return (
          `<li class="sb-order" data-order-id="${esc(o.order_id)}" data-change="${esc(o.change)}">` +
          `<div class="sb-order-head"><button type="button" class="link-button" data-order="${esc(o.order_id)}" title="Open the order card"><code>${esc(o.order_id)}</code></button>` +
          ` <span class="pill${o.change === 'changed' ? '' : ' warn'}">${esc(o.change)}</span> ${move} ${ex}` +
          ` <span class="muted small">${int(fields.length)} field${fields.length === 1 ? '' : 's'}</span></div>` +
          `<table class="sb-fields"><tbody>${rows}</tbody></table>${more}</li>`
        );
      })
      .join('');
    out.push(
      `<section class="panel wide" id="sandbox-orders"><h2>Changed orders <span class="muted">${int(orders.length)}</span></h2>` +
        (orders.length === 0
          ? '<p class="muted">No order\'s view changes with the candidate files.</p>'
          : '<table class="sb-fields sb-fields-head"><thead><tr><th>Field</th><th>Production</th><th></th><th>Candidate</th></tr></thead></table>' +
            `<ol class="sb-orders">${orderHtml}</ol>`) +
        (orders.length > MAX_ORDERS ? `<p class="muted small">… ${orders.length - MAX_ORDERS} more orders in the JSON</p>` : '') +
        '</section>',
    );

    return out.join('');
  }

  /**
   * Any JSON the report carries, generically (the `cases` section grows): an object as a list of
   * its keys and values, an array of objects as a table with a column per key, an array of plain
   * values as a row of them.
   */
  function renderAny(v, f, depth = 0) {
    const { esc } = f;
    const human = (k) => esc(String(k).replace(/_/g, ' '));
    const none = '<span class="muted small">none</span>';
    const scalar = (x) =>
      x === null || x === undefined ? '<span class="muted">—</span>' : typeof x === 'string' && ISO_TIME.test(x) ? f.time(x) : esc(String(x));
    if (Array.isArray(v)) {
      if (v.length === 0) return none;
      if (v.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x))) {
        const keys = [...new Set(v.flatMap((x) => Object.keys(x)))];
        const cell = (x) => (x !== null && typeof x === 'object' ? `<code>${esc(showValue(x))}</code>` : scalar(x));
        return `<table><thead><tr>${keys.map((k) => `<th>${human(k)}</th>`).join('')}</tr></thead><tbody>${v
          .slice(0, MAX_ORDERS)
          .map((x) => `<tr>${keys.map((k) => `<td>${cell(x[k])}</td>`).join('')}</tr>`)
          .join('')}</tbody></table>${v.length > MAX_ORDERS ? `<p class="muted small">… ${v.length - MAX_ORDERS} more in the JSON</p>` : ''}`;
      }
      if (v.every((x) => x === null || typeof x !== 'object')) {
        const long = v.some((x) => String(x).length > 60);
        return long
          ? `<ul class="sb-notes">${v.map((x) => `<li>${scalar(x)}</li>`).join('')}</ul>`
          : `<span class="sb-values">${v.map((x) => `<code>${scalar(x)}</code>`).join(' ')}</span>`;
      }
      return `<code>${esc(showValue(v))}</code>`;
    }
    if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v);
      if (entries.length === 0) return none;
      if (depth >= 3) return `<code>${esc(showValue(v))}</code>`;
      return `<dl class="sb-dl">${entries.map(([k, x]) => `<dt>${human(k)}</dt><dd data-key="${esc(k)}">${renderAny(x, f, depth + 1)}</dd>`).join('')}</dl>`;
    }
    return scalar(v);
  }

  globalThis.orderlakeSandbox = Object.freeze({ MAX_FILE_CHARS, MAX_FILES, MAX_ORDERS, MAX_FIELDS, fileNameProblem, showValue, renderReport, renderAny });
})();
