// orderlake agent console: plain JS, no build step. Four views over the HTTP API and the live feed
// (/ws): the case queue (GET /cases, the `cases` stream, POST /cases/{id}/actions), the order card
// (GET /orders/{id}, /timeline, /cases, the order stream), the health page (GET /insights/health)
// and, for admins, the sandbox (POST /admin/sandbox).
// Only the parts of the card whose fields changed are re-rendered, and they flash.
(() => {
  'use strict';

  const TOKEN_KEY = 'orderlake.token';
  const ZONE_KEY = 'orderlake.zone';
  const ASSIGNEE_KEY = 'orderlake.assignee';
  const HEALTH_REFRESH_MS = 5000;
  const $ = (id) => document.getElementById(id);
  const terms = globalThis.orderlakeSearchTerms;
  const clock = globalThis.orderlakeTime;
  const caseQueue = globalThis.orderlakeCaseQueue;
  const charts = globalThis.orderlakeCharts;
  const sandboxReport = globalThis.orderlakeSandbox;

  // ---------------------------------------------------------------- token

  function takeFragment() {
    const params = new URLSearchParams(location.hash.slice(1));
    const token = params.get('token');
    if (token) {
      sessionStorage.setItem(TOKEN_KEY, token);
      params.delete('token');
      const rest = params.toString();
      history.replaceState(null, '', location.pathname + location.search + (rest ? `#${rest}` : ''));
    }
    return { order: params.get('order'), view: params.get('view') };
  }

  function token() {
    let value = sessionStorage.getItem(TOKEN_KEY);
    if (!value) {
      value = (window.prompt('orderlake API token (role agent or admin)') || '').trim();
      if (value) sessionStorage.setItem(TOKEN_KEY, value);
    }
    return value || '';
  }

  // ---------------------------------------------------------------- formatting

  const esc = (value) =>
    String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

  const dash = '<span class="muted">—</span>';
  const text = (value) => (value === null || value === undefined || value === '' ? dash : esc(value));

  /** The zone every time is shown in: the agent's pick, kept across visits. */
  const zone = { choice: localStorage.getItem(ZONE_KEY) || 'local' };
  const currentZone = () => clock.resolveZone(zone.choice);

  /** A time with its zone, always: "2026-12-02 16:05 UTC+8"; the exact UTC instant on hover. */
  function time(iso, options = {}) {
    const p = clock.zonedParts(iso, currentZone());
    if (!p) return dash;
    return `<time datetime="${esc(iso)}" title="${esc(iso)} (UTC)">${p.date} ${p.time}${options.seconds ? `:${p.seconds}` : ''} <span class="tz">${esc(p.zone)}</span></time>`;
  }
  const ago = (iso) => (iso ? clock.relative(iso, Date.now()) : '');

  const STATUS_TONE = {
    CREATED: 'neutral', PAID: 'neutral',
    RELEASED: 'warehouse', PICKING: 'warehouse', PACKED: 'warehouse',
    SHIPPED: 'transit', IN_TRANSIT: 'transit', OUT_FOR_DELIVERY: 'transit', PARTIALLY_SHIPPED: 'transit',
    DELIVERED: 'done', PARTIALLY_DELIVERED: 'done',
    CANCELLED: 'off', FULFILLMENT_CANCELLED: 'off',
    DELIVERY_EXCEPTION: 'alert', RETURNED_TO_SENDER: 'alert',
    RETURN_REQUESTED: 'aftersales', RETURN_RECEIVED: 'aftersales', REFUNDED: 'aftersales',
    EXCHANGE_REQUESTED: 'aftersales', EXCHANGE_SHIPPED: 'aftersales',
  };
  const tone = (status) => STATUS_TONE[status] || 'neutral';
  const label = (code) => (code ? String(code).replace(/_/g, ' ').toLowerCase() : 'unknown');
  const badge = (status) => `<span class="badge tone-${tone(status)}" title="${esc(label(status))}">${esc(label(status))}</span>`;
  const pct = (rate) => (Number.isFinite(rate) ? `${Math.round(rate * 1000) / 10} %` : '—');
  const int = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');

  /** 850 ms, 12 s, 4.5 min, 2.1 h: a duration in the unit that reads best. */
  function duration(ms) {
    if (!Number.isFinite(ms)) return '—';
    const abs = Math.abs(ms);
    const round = (v) => (v >= 10 ? Math.round(v) : Math.round(v * 10) / 10);
    if (abs < 1000) return `${Math.round(ms)} ms`;
    if (abs < 60_000) return `${round(ms / 1000)} s`;
    if (abs < 3_600_000) return `${round(ms / 60_000)} min`;
    if (abs < 86_400_000) return `${round(ms / 3_600_000)} h`;
    return `${round(ms / 86_400_000)} d`;
  }

  function table(columns, rows, keyOf) {
    if (rows.length === 0) return `<p class="muted small">none</p>`;
    const head = columns.map((c) => `<th>${esc(c.title)}</th>`).join('');
    const body = rows
      .map((row) => `<tr data-key="${esc(keyOf(row))}" data-json="${esc(JSON.stringify(row))}">${columns.map((c) => `<td>${c.cell(row)}</td>`).join('')}</tr>`)
      .join('');
    return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
  }

  // ---------------------------------------------------------------- views

  const VIEWS = ['queue', 'order', 'health', 'sandbox'];
  const view = { current: null };

  function setView(name) {
    if (!VIEWS.includes(name) || (name === 'sandbox' && !sandbox.allowed)) name = 'queue';
    view.current = name;
    for (const v of VIEWS) {
      $(`view-${v}`).hidden = v !== name;
      const tab = $(`tab-${v}`);
      tab.classList.toggle('active', v === name);
      if (v === name) tab.setAttribute('aria-current', 'page');
      else tab.removeAttribute('aria-current');
    }
    if (name !== 'order') history.replaceState(null, '', `${location.pathname}${location.search}#view=${name}`);
    else if (card.view) history.replaceState(null, '', `${location.pathname}${location.search}#order=${encodeURIComponent(card.view.order_id)}`);
    if (name === 'health') health.start();
    else health.stop();
    if (name === 'sandbox') sandbox.enter();
  }

  // ---------------------------------------------------------------- cases (shared by the queue and the card)

  function severityPill(c) {
    return `<span class="sev sev-${esc(c.severity)}">${esc(c.severity)}</span>`;
  }

  /** Where the case stands against its threshold: at risk, overdue, or neither. */
  function stagePill(c) {
    if (c.status === 'resolved') return '';
    if (c.breached_at) return `<span class="pill bad" title="breached ${esc(c.breached_at)}">overdue</span>`;
    if (c.at_risk) return `<span class="pill warn" title="at risk since ${esc(c.at_risk_at || '')}">at risk</span>`;
    return '';
  }

  function statusPill(c) {
    const resolution = c.resolution ? ` · ${label(c.resolution)}` : '';
    return `<span class="case-status status-${esc(c.status)}" data-status="${esc(c.status)}">${esc(c.status)}${esc(resolution)}</span>`;
  }

  function subjectOf(c) {
    if (c.order_id) return `<button type="button" class="link-button" data-order="${esc(c.order_id)}" title="Open order ${esc(c.order_id)}"><code>${esc(c.order_id)}</code></button>${c.channel ? `<div class="muted small">${esc(c.channel)}</div>` : ''}`;
    if (c.tracking_no) return `<span class="muted small">parcel</span> <code>${esc(c.tracking_no)}</code>`;
    if (c.source) return `<span class="muted small">source</span> <strong>${esc(String(c.source).toUpperCase())}</strong>`;
    return dash;
  }

  function playbook(c, open) {
    const steps = Array.isArray(c.playbook) ? c.playbook : [];
    if (steps.length === 0) return '';
    const items = steps
      .map((s) => `<li>${esc(s.step)}${s.link ? ` <a href="${esc(s.link)}" target="_blank" rel="noopener noreferrer">open</a>` : ''}</li>`)
      .join('');
    return `<details class="playbook"${open ? ' open' : ''}><summary><span class="k">Playbook</span> ${esc(steps[0].step)}${steps.length > 1 ? ` <span class="muted">+${steps.length - 1}</span>` : ''}</summary><ol>${items}</ol></details>`;
  }

  function actionButtons(c) {
    if (c.status === 'resolved') return '';
    const ack = c.status === 'open' ? `<button type="button" class="act" data-case-action="acknowledge" data-case="${esc(c.case_id)}">Acknowledge</button>` : '';
    const assign = `<button type="button" class="act" data-case-action="assign" data-case="${esc(c.case_id)}">${c.assignee ? 'Reassign' : 'Assign'}</button>`;
    return ack + assign;
  }

  /** Every copy of a case this page holds: the queue's and the card's. */
  function caseChanged(c) {
    queue.take(c);
    card.takeCase(c);
  }

  async function caseAction(caseId, body, button) {
    if (button) button.disabled = true;
    try {
      const result = await api(`/cases/${encodeURIComponent(caseId)}/actions`, { method: 'POST', body });
      if (result.status === 200) {
        caseChanged(result.body);
        return;
      }
      const why = result.body?.message || `HTTP ${result.status}`;
      notice(result.status === 409 ? `Not done: ${why}` : `The case action failed: ${why}`, 'warn');
      if (result.status === 409 || result.status === 404) refreshCase(caseId);
    } catch (err) {
      fail(err);
    } finally {
      if (button && button.isConnected) button.disabled = false;
    }
  }

  /** After a refused action: what the case is now (someone else may have acted on it). */
  async function refreshCase(caseId) {
    try {
      const result = await api(`/cases/${encodeURIComponent(caseId)}`);
      if (result.status === 200) caseChanged(result.body);
    } catch {
      // the notice already says what went wrong
    }
  }

  const assign = { caseId: null };
  function openAssign(caseId) {
    const c = queue.model.get(caseId) || card.cases.find((x) => x.case_id === caseId);
    assign.caseId = caseId;
    $('assign-what').innerHTML = c ? `${severityPill(c)} <strong>${esc(c.rule)}</strong> · ${c.order_id ? `<code>${esc(c.order_id)}</code>` : esc(c.tracking_no || c.source || '')}` : esc(caseId);
    $('assign-input').value = (c && c.assignee) || localStorage.getItem(ASSIGNEE_KEY) || '';
    $('assign-dialog').showModal();
    $('assign-input').select();
  }
  $('assign-form').addEventListener('submit', (event) => {
    const assignee = $('assign-input').value.trim();
    if (!assignee || !assign.caseId) {
      event.preventDefault();
      return;
    }
    localStorage.setItem(ASSIGNEE_KEY, assignee);
    caseAction(assign.caseId, { action: 'assign', assignee }, null);
    assign.caseId = null;
  });
  $('assign-cancel').addEventListener('click', () => {
    assign.caseId = null;
    $('assign-dialog').close();
  });

  document.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-case-action]');
    if (!button) return;
    const caseId = button.dataset.case;
    const action = button.dataset.caseAction;
    if (action === 'assign') openAssign(caseId);
    else if (action === 'resolve') caseAction(caseId, { action: 'resolve', note: 'resolved from the console' }, button);
    else caseAction(caseId, { action }, button);
  });

  // ---------------------------------------------------------------- the case queue

  const queue = {
    model: caseQueue.createCaseQueue({ status: 'active' }),
    rows: new Map(),
    sub: null,
    seq: 0,
    loaded: false,
    truncated: false,
    viaHttp: false,
    pollTimer: null,
    queues: new Set(),
    rules: new Set(),

    /** The filter the controls say: lists, empty = any. */
    filterFromControls() {
      const severity = [...$('filter-severity').querySelectorAll('input:checked')].map((i) => i.value);
      const q = $('filter-queue').value;
      const rule = $('filter-rule').value;
      const filter = { status: 'active' };
      if (q) filter.queue = [q];
      if (severity.length > 0 && severity.length < caseQueue.SEVERITIES.length) filter.severity = severity;
      if (rule) filter.rule = [rule];
      return filter;
    },

    /** Starts over with the controls' filter: the feed sends the cases of that filter. */
    subscribe() {
      const filter = this.filterFromControls();
      if (this.sub) feed.unsubscribe(this.sub);
      this.stopPolling();
      this.model.setFilter(filter);
      this.rows.clear();
      $('queue-list').replaceChildren();
      this.loaded = false;
      this.truncated = false;
      this.viaHttp = false;
      this.render();
      this.sub = `cases-${++this.seq}`;
      feed.subscribe(this.sub, filter, () => this.model.versions(), (message) => this.onMessage(message), { stream: 'cases' });
    },

    onMessage(message) {
      if (message.type === 'case_snapshot') {
        for (const c of message.cases) this.take(c);
        this.truncated = Boolean(message.truncated);
        this.loaded = true;
      } else if (message.type === 'case') {
        this.take(message.case, { removed: Boolean(message.removed) });
        // The open card follows its order's cases too (a new one, a heal, another agent's action).
        card.takeCase(message.case);
      } else if (message.type === 'error') {
        // A server without the cases stream: read GET /cases instead, every few seconds.
        this.startPolling();
      }
      this.render();
    },

    /** Applies one case (feed, action, poll) to the model and the list, in place. */
    take(c, options = {}) {
      this.learn(c);
      const change = this.model.apply(c, options);
      if (!change) return;
      const list = $('queue-list');
      if (change.op === 'remove') {
        this.rows.get(change.caseId)?.remove();
        this.rows.delete(change.caseId);
      } else {
        const held = this.model.get(change.caseId);
        let li = this.rows.get(change.caseId);
        const fresh = !li;
        if (fresh) {
          li = document.createElement('li');
          li.className = 'case-row';
          li.dataset.caseId = change.caseId;
          this.rows.set(change.caseId, li);
        }
        this.fill(li, held);
        if (change.op === 'insert' || change.op === 'move') {
          const before = change.before === null ? null : this.rows.get(change.before) || null;
          list.insertBefore(li, before);
        }
        if (this.loaded) flash(li);
      }
      this.render();
    },

    fill(li, c) {
      const open = li.querySelector('details.playbook')?.open ?? false;
      li.dataset.severity = c.severity;
      li.dataset.status = c.status;
      li.dataset.rule = c.rule;
      li.dataset.queue = c.queue;
      li.dataset.openedAt = c.opened_at;
      li.dataset.version = String(c.version);
      li.innerHTML =
        `<div class="c-sev">${severityPill(c)}${stagePill(c)}</div>` +
        `<div class="c-main"><div class="c-title"><strong class="rule">${esc(c.rule)}</strong> <span class="queue-name">${esc(c.queue)}</span></div>` +
        `<div class="c-desc muted small">${esc(c.description)}</div>${playbook(c, open)}</div>` +
        `<div class="c-subject">${subjectOf(c)}</div>` +
        `<div class="c-when small"><div>${time(c.opened_at)}</div><div class="muted">opened ${esc(ago(c.opened_at))}</div>${c.due_at && c.due_at !== c.opened_at ? `<div class="muted">due ${time(c.due_at)}</div>` : ''}</div>` +
        `<div class="c-status">${statusPill(c)}${c.assignee ? `<div class="assignee small" title="assignee">→ ${esc(c.assignee)}</div>` : ''}</div>` +
        `<div class="c-actions">${actionButtons(c)}</div>`;
    },

    learn(c) {
      const grow = (set, value, select, all) => {
        if (!value || set.has(value)) return;
        set.add(value);
        const current = select.value;
        select.innerHTML = `<option value="">${all}</option>` + [...set].sort().map((v) => `<option value="${esc(v)}">${esc(v)}</option>`).join('');
        select.value = current;
      };
      grow(this.queues, c.queue, $('filter-queue'), 'all queues');
      grow(this.rules, c.rule, $('filter-rule'), 'all rules');
    },

    render() {
      const counts = this.model.counts();
      $('queue-count').textContent = String(this.model.size);
      $('queue-summary').innerHTML =
        `<span class="total"><strong id="queue-total">${this.model.size}</strong> active</span>` +
        caseQueue.SEVERITIES.map((s) => `<span class="sev sev-${s}" data-count="${s}">${counts[s]} ${s}</span>`).join('');
      $('queue-empty').hidden = !this.loaded || this.model.size > 0;
      const notes = [];
      if (!this.loaded) notes.push('Loading cases…');
      if (this.truncated) notes.push('The server sent only the first cases of this filter: narrow it to see the rest.');
      if (this.viaHttp) notes.push('This server has no live case stream: the queue is read every 5 seconds.');
      $('queue-note').textContent = notes.join(' ');
    },

    async poll() {
      const f = this.model.filter;
      const params = new URLSearchParams({ status: 'active', limit: '1000' });
      for (const key of ['queue', 'severity', 'rule']) if (f[key]) params.set(key, f[key].join(','));
      const result = await api(`/cases?${params}`);
      if (result.status !== 200) throw new Error(result.body?.message || `GET /cases: HTTP ${result.status}`);
      const seen = new Set(result.body.cases.map((c) => c.case_id));
      for (const c of result.body.cases) this.take(c);
      if (!result.body.truncated) for (const c of this.model.list()) if (!seen.has(c.case_id)) this.take(c, { removed: true });
      this.truncated = Boolean(result.body.truncated);
      this.loaded = true;
      this.render();
    },

    startPolling() {
      if (this.pollTimer) return;
      this.viaHttp = true;
      const tick = () => this.poll().catch((err) => ($('queue-note').textContent = `Cases unavailable: ${err.message}`));
      tick();
      this.pollTimer = setInterval(tick, 5000);
    },

    stopPolling() {
      clearInterval(this.pollTimer);
      this.pollTimer = null;
    },
  };

  $('queue-filters').addEventListener('change', (event) => {
    // Keep at least one severity ticked: none would read as "any".
    const boxes = [...$('filter-severity').querySelectorAll('input')];
    if (boxes.every((b) => !b.checked) && event.target.type === 'checkbox') event.target.checked = true;
    queue.subscribe();
  });
  $('queue-filters').addEventListener('submit', (event) => event.preventDefault());

  // ---------------------------------------------------------------- order card: timeline-derived facts

  /**
   * One carrier scan from a timeline entry: the structured `details` when the API sends them, else
   * the summary line ("IN_TRANSIT SF SF1234 at 杭州市 [ADDRESS_ISSUE]").
   */
  function scanOf(entry) {
    const d = entry.details || null;
    if (d && d.event_code) {
      return { at: entry.event_time, code: d.event_code, carrier: d.carrier ?? null, tracking_no: d.tracking_no ?? null, location: d.location ?? null, exception: d.exception_code ?? null, eta: d.eta ?? null, uid: entry.event_uid };
    }
    const m = /^(\S+) (\S+) (\S+)(?: at (.+?))?(?: \[([^\]]+)\])?$/.exec(entry.summary || '');
    return {
      at: entry.event_time,
      code: m ? m[1] : entry.type,
      carrier: m ? m[2] : null,
      tracking_no: m ? m[3] : null,
      location: m && m[4] ? m[4] : null,
      exception: m && m[5] ? m[5] : null,
      eta: null,
      uid: entry.event_uid,
    };
  }

  /** Carrier scans, newest first. */
  const scansOf = (timeline) => timeline.filter((e) => e.source === 'tms').map(scanOf).reverse();

  const ADDRESS_FIELDS = ['name', 'phone', 'province', 'city', 'district', 'line', 'postcode'];
  const sameAddress = (a, b) => ADDRESS_FIELDS.every((f) => (a?.[f] ?? null) === (b?.[f] ?? null));

  /**
   * Each address change: the CRM order images with a ship-to (timeline `details.ship_to`, in row
   * version order), where one differs from the image before it: `{ at, from, to }`.
   */
  function addressChangesOf(timeline) {
    const images = timeline
      .filter((e) => e.kind === 'crm_order' && e.details && e.details.ship_to)
      .map((e, i) => ({ at: e.event_time, rowVersion: e.details.row_version ?? null, shipTo: e.details.ship_to, i }))
      .sort((a, b) => (a.rowVersion !== null && b.rowVersion !== null && a.rowVersion !== b.rowVersion ? a.rowVersion - b.rowVersion : a.i - b.i));
    const changes = [];
    for (let i = 1; i < images.length; i++) {
      if (!sameAddress(images[i - 1].shipTo, images[i].shipTo)) changes.push({ at: images[i].at, from: images[i - 1].shipTo, to: images[i].shipTo });
    }
    return { known: images.length > 0, changes };
  }

  function address(a) {
    if (!a) return dash;
    return `<strong>${esc(a.name)}</strong> <span class="muted">${esc(a.phone)}</span><br>${esc(a.province)} ${esc(a.city)} ${esc(a.district || '')}<br>${esc(a.line)} ${esc(a.postcode || '')}`;
  }

  // ---------------------------------------------------------------- card sections

  const MILESTONES = [
    ['created_at', 'Created'],
    ['paid_at', 'Paid'],
    ['released_at', 'Released'],
    ['packed_at', 'Packed'],
    ['shipped_at', 'Shipped'],
    ['delivered_at', 'Delivered'],
  ];

  /**
   * Each section: the top-level view fields it shows (`fields`), the extra data it reads (`extra`:
   * 'timeline' or 'cases', loaded beside the view), and how it renders.
   */
  const SECTIONS = [
    {
      el: 'order-id', fields: ['order_id'],
      render: (v) => esc(v.order_id),
    },
    {
      el: 'order-sub', fields: ['channel', 'created_at', 'customer'],
      render: (v) => `${text(v.channel)} · created ${time(v.created_at)}${v.customer ? ` · ${esc(v.customer.name)}` : ''}`,
    },
    {
      el: 'status', fields: ['status'],
      render: (v) => esc(label(v.status)),
      after: (el, v) => (el.className = `badge big tone-${tone(v.status)}`),
    },
    {
      el: 'version', fields: ['version', 'updated_at'],
      render: (v) => `version ${esc(v.version)} · updated ${time(v.updated_at, { seconds: true })}`,
    },
    {
      el: 'summary', fields: ['customer', 'total_amount', 'currency', 'payment', 'promised_delivery_at', 'on_time', 'gift_order', 'buyer_note'],
      render: (v) => {
        const c = v.customer;
        const onTime = v.on_time === null || v.on_time === undefined ? '' : v.on_time ? ' <span class="pill ok">on time</span>' : ' <span class="pill bad">late</span>';
        const items = [
          ['Customer', c ? `${esc(c.name)} <span class="muted">${esc(c.phone)}</span>${c.member_tier ? ` <span class="pill">${esc(c.member_tier)}</span>` : ''}` : dash, 'customer'],
          ['Total', v.total_amount ? `${esc(v.total_amount)} ${esc(v.currency || '')}` : dash, 'total_amount'],
          ['Payment', v.payment ? `<span class="pill ${v.payment.status === 'PAID' ? 'ok' : ''}">${esc(v.payment.status.toLowerCase())}</span>` : dash, 'payment'],
          ['Promised', `${time(v.promised_delivery_at)}${onTime}`, 'promised_delivery_at'],
        ];
        if (v.gift_order) items.push(['Gift', '<span class="pill">gift order</span>', 'gift_order']);
        if (v.buyer_note) items.push(['Note', esc(v.buyer_note), 'buyer_note']);
        return items.map(([k, val, field]) => `<div class="kv" data-field="${field}"><span class="k">${k}</span><span class="v">${val}</span></div>`).join('');
      },
    },
    {
      el: 'milestones', fields: ['created_at', 'paid_at', 'released_at', 'packed_at', 'shipped_at', 'delivered_at', 'cancelled_at', 'shipments', 'promised_delivery_at'],
      render: (v) => {
        const steps = MILESTONES.map(([field, name]) => ({ field, name, at: v[field] }));
        if (v.cancelled_at) {
          const cancelled = { field: 'cancelled_at', name: 'Cancelled', at: v.cancelled_at, cancel: true };
          if (v.delivered_at) steps.push(cancelled);
          else steps[steps.length - 1] = cancelled;
        }
        const lastReached = steps.reduce((last, s, i) => (s.at ? i : last), -1);
        const open = v.shipments.find((s) => !s.delivered_at && s.eta);
        const expected = open ? `ETA ${time(open.eta)}` : v.promised_delivery_at ? `promised ${time(v.promised_delivery_at)}` : '';
        return steps
          .map((s, i) => {
            const state = s.at ? 'done' : i < lastReached ? 'skipped' : 'todo';
            const when = s.at ? time(s.at) : s.field === 'delivered_at' && !v.cancelled_at ? `<span class="muted">${expected}</span>` : '';
            return `<li class="step ${state}${s.cancel ? ' cancel' : ''}" data-field="${s.field}"><span class="mark"></span><span class="name">${s.name}</span><span class="when">${when}</span></li>`;
          })
          .join('');
      },
    },
    {
      // "Where is my order?": the last carrier scan, at a glance.
      el: 'where', fields: ['shipments', 'delivered_at', 'shipped_at'], extra: 'timeline', rows: true,
      render: (v, extra) => {
        if (!extra.timeline) return `<span class="muted small">Loading the carrier scans…</span>`;
        const scans = scansOf(extra.timeline);
        if (scans.length === 0) {
          return `<span class="k">Last carrier scan</span> <span class="muted">none yet</span>${v.shipped_at ? ` · shipped ${time(v.shipped_at)} <span class="muted">${esc(ago(v.shipped_at))}</span>` : ''}`;
        }
        const last = scans[0];
        return (
          `<span class="last-scan" data-key="last-scan" data-json="${esc(last.uid)}"><span class="k">Last carrier scan</span> <strong id="last-scan-code">${esc(label(last.code))}</strong>` +
          `${last.location ? ` at <strong>${esc(last.location)}</strong>` : ''}` +
          ` · <span id="last-scan-time">${time(last.at)}</span> <span class="muted">${esc(ago(last.at))}</span>` +
          `${last.exception ? ` <span class="chip">${esc(label(last.exception))}</span>` : ''}` +
          `${last.tracking_no ? ` · <code>${esc(last.tracking_no)}</code> <span class="muted">${esc(last.carrier || '')}</span>` : ''}</span>`
        );
      },
    },
    {
      el: 'exceptions', fields: ['exceptions'],
      render: (v) =>
        v.exceptions.length === 0
          ? ''
          : `<span class="k">Exceptions</span> ${v.exceptions.map((code) => `<span class="chip" data-field="exceptions">${esc(label(code))}</span>`).join('')}`,
    },
    {
      el: 'order-cases', fields: [], extra: 'cases', rows: true,
      render: (_v, extra) => {
        if (!extra.cases) return `<p class="muted small">${extra.casesError ? esc(extra.casesError) : 'Loading the cases…'}</p>`;
        if (extra.cases.length === 0) return `<p class="muted small">No cases for this order: no health rule fired.</p>`;
        const active = (c) => c.status !== 'resolved';
        const sorted = [...extra.cases].sort((a, b) => Number(active(b)) - Number(active(a)) || caseQueue.compareCases(a, b));
        return table(
          [
            { title: 'Severity', cell: (c) => `${severityPill(c)}${stagePill(c)}` },
            { title: 'Case', cell: (c) => `<strong>${esc(c.rule)}</strong> <span class="queue-name">${esc(c.queue)}</span><div class="muted small">${esc(c.description)}</div>${playbook(c, active(c))}` },
            {
              title: 'When',
              cell: (c) =>
                `<div class="small">opened ${time(c.opened_at)}</div>` +
                (c.due_at && active(c) ? `<div class="small muted">due ${time(c.due_at)}</div>` : '') +
                (c.resolved_at ? `<div class="small muted">resolved ${time(c.resolved_at)}</div>` : ''),
            },
            { title: 'Status', cell: (c) => `${statusPill(c)}${c.assignee ? `<div class="assignee small">→ ${esc(c.assignee)}</div>` : ''}` },
            { title: '', cell: (c) => `<div class="c-actions">${actionButtons(c)}</div>` },
          ],
          sorted,
          (c) => c.case_id,
        );
      },
      after: (el, _v, extra) => {
        const n = extra.cases ? extra.cases.filter((c) => c.status !== 'resolved').length : 0;
        $('order-cases-count').textContent = extra.cases ? `${n} active · ${extra.cases.length} in all` : '';
        for (const tr of el.querySelectorAll('tr[data-key]')) {
          const c = extra.cases.find((x) => x.case_id === tr.dataset.key);
          if (c) tr.dataset.status = c.status;
        }
      },
    },
    {
      el: 'scans', fields: [], extra: 'timeline', rows: true,
      render: (_v, extra) => {
        if (!extra.timeline) return `<p class="muted small">${extra.timelineError ? esc(extra.timelineError) : 'Loading…'}</p>`;
        return table(
          [
            { title: 'Scanned', cell: (s) => time(s.at) },
            { title: 'Scan', cell: (s) => `${esc(label(s.code))}${s.exception ? ` <span class="chip">${esc(label(s.exception))}</span>` : ''}` },
            { title: 'Where', cell: (s) => text(s.location) },
            { title: 'Parcel', cell: (s) => (s.tracking_no ? `<code>${esc(s.tracking_no)}</code> <span class="muted">${esc(s.carrier || '')}</span>` : dash) },
          ],
          scansOf(extra.timeline),
          (s) => s.uid,
        );
      },
    },
    {
      el: 'fulfillments', fields: ['fulfillments'], rows: true,
      render: (v) =>
        table(
          [
            { title: 'Fulfillment', cell: (f) => `<code>${esc(f.fulfillment_id)}</code>` },
            { title: 'From', cell: (f) => text(f.store_id ? `store ${f.store_id}` : f.warehouse_id) },
            { title: 'Status', cell: (f) => esc(label(f.status)) },
            { title: 'Tracking', cell: (f) => (f.tracking_no ? `<code>${esc(f.tracking_no)}</code> ${text(f.carrier)}` : dash) },
          ],
          v.fulfillments,
          (f) => f.fulfillment_id,
        ),
    },
    {
      el: 'shipments', fields: ['shipments'], rows: true,
      render: (v) =>
        table(
          [
            { title: 'Tracking', cell: (s) => `<code>${esc(s.tracking_no)}</code> <span class="muted">${esc(s.carrier)}</span>` },
            { title: 'Status', cell: (s) => `${esc(label(s.status))}${s.exception_code ? ` <span class="chip">${esc(label(s.exception_code))}</span>` : ''}` },
            { title: 'Location', cell: (s) => text(s.location) },
            { title: 'ETA', cell: (s) => time(s.eta) },
            { title: 'Delivered', cell: (s) => time(s.delivered_at) },
          ],
          v.shipments,
          (s) => s.tracking_no,
        ),
    },
    {
      el: 'after-sales', fields: ['after_sales', 'lines'], rows: true,
      render: (v) => {
        const names = new Map(v.lines.map((l) => [l.sku, l.name]));
        const item = (sku) => (names.has(sku) ? `${esc(names.get(sku))} <span class="muted">${esc(sku)}</span>` : `<span class="muted">${esc(sku)}</span>`);
        return table(
          [
            { title: 'Case', cell: (c) => `<code>${esc(c.case_id)}</code>` },
            { title: 'Type', cell: (c) => esc(label(c.case_type)) },
            { title: 'Status', cell: (c) => esc(label(c.status)) },
            { title: 'Item', cell: (c) => `<span class="item-name">${item(c.sku)}</span> × ${esc(c.quantity)}${c.replacement_sku ? ` → ${item(c.replacement_sku)}` : ''}` },
            { title: 'Refund', cell: (c) => text(c.refund_amount) },
          ],
          v.after_sales,
          (c) => c.case_id,
        );
      },
    },
    {
      el: 'lines', fields: ['lines', 'currency'], rows: true,
      render: (v) =>
        table(
          [
            { title: '#', cell: (l) => esc(l.line_no) },
            { title: 'Item', cell: (l) => `${esc(l.name)} <span class="muted">${esc(l.sku)}</span>` },
            { title: 'Qty', cell: (l) => esc(l.quantity) },
            { title: 'Unit price', cell: (l) => `${esc(l.unit_price)} ${esc(v.currency || '')}` },
          ],
          v.lines,
          (l) => l.line_no,
        ),
    },
    {
      el: 'ship-to', fields: ['ship_to', 'address_changes'], extra: 'timeline',
      render: (v, extra) => {
        const a = v.ship_to;
        if (!a) return `<p class="muted small">not known yet</p>`;
        let history = '';
        if (v.address_changes > 0) {
          const found = extra.timeline ? addressChangesOf(extra.timeline) : null;
          if (found && found.changes.length > 0) {
            history =
              `<p class="small"><span class="pill warn">address changed ${esc(v.address_changes)}×</span></p><ol class="address-changes">` +
              found.changes
                .slice()
                .reverse()
                .map(
                  (ch) =>
                    `<li class="address-change"><div class="small">changed ${time(ch.at)} <span class="muted">${esc(ago(ch.at))}</span></div>` +
                    `<div class="old-new"><div class="old"><span class="k">Old</span><p>${address(ch.from)}</p></div><div class="arrow" aria-hidden="true">→</div><div class="new"><span class="k">New</span><p>${address(ch.to)}</p></div></div></li>`,
                )
                .join('') +
              `</ol>`;
          } else {
            const why = !extra.timeline ? 'loading the history…' : 'this server\'s timeline has no address details, so the old address cannot be shown';
            history = `<p class="small"><span class="pill warn">address changed ${esc(v.address_changes)}×</span> <span class="muted">${esc(why)}</span></p>`;
          }
        }
        return `<p data-field="ship_to">${address(a)}</p>${history}`;
      },
    },
    {
      el: 'sources', fields: ['sources'], rows: true,
      render: (v) =>
        table(
          [
            { title: 'Source', cell: (s) => `<strong>${esc(s.name)}</strong>` },
            { title: 'Last event', cell: (s) => (s.stats ? `${time(s.stats.last_event_at)} <span class="muted small">${esc(ago(s.stats.last_event_at))}</span>` : dash) },
            { title: 'Events', cell: (s) => (s.stats ? esc(s.stats.events) : '0') },
          ],
          ['crm', 'wms', 'tms'].map((name) => ({ name: name.toUpperCase(), stats: v.sources ? v.sources[name] : null })),
          (s) => s.name,
        ),
    },
  ];

  function flash(el) {
    el.classList.remove('flash');
    void el.offsetWidth; // restart the animation
    el.classList.add('flash');
  }
  document.addEventListener('animationend', (event) => {
    if (String(event.animationName).startsWith('flash')) event.target.classList.remove('flash');
  });

  function renderSection(section, v, changed) {
    const el = $(section.el);
    const previousRows = section.rows ? new Map([...el.querySelectorAll('[data-key]')].map((row) => [row.dataset.key, row.dataset.json])) : null;
    const openPlaybooks = new Set([...el.querySelectorAll('[data-key] details.playbook')].filter((d) => d.open).map((d) => d.closest('[data-key]').dataset.key));
    el.innerHTML = section.render(v, card.extra);
    for (const d of el.querySelectorAll('[data-key] details.playbook')) if (openPlaybooks.has(d.closest('[data-key]').dataset.key)) d.open = true;
    if (section.after) section.after(el, v, card.extra);
    if (!changed) return;
    if (previousRows) {
      for (const row of el.querySelectorAll('[data-key]')) if (previousRows.get(row.dataset.key) !== row.dataset.json) flash(row);
      return;
    }
    const marked = [...el.querySelectorAll('[data-field]')];
    const targets = marked.filter((node) => changed.has(node.dataset.field));
    if (el.dataset.field && changed.has(el.dataset.field)) targets.push(el);
    // A section without per-field marks flashes as a whole.
    if (targets.length === 0 && marked.length === 0 && !el.dataset.field) targets.push(el);
    targets.forEach(flash);
  }

  // ---------------------------------------------------------------- the order card

  const card = {
    view: null,
    sub: null,
    seq: 0,
    extra: { timeline: null, cases: null, timelineError: null, casesError: null },
    refreshTimer: null,
    get cases() {
      return this.extra.cases || [];
    },
    /** A case changed (an action, the queue's feed): update it on the card when it is this order's. */
    takeCase(c) {
      if (!this.view || c.order_id !== this.view.order_id || !this.extra.cases) return;
      const i = this.extra.cases.findIndex((x) => x.case_id === c.case_id);
      if (i >= 0 && (this.extra.cases[i].version ?? 0) >= (c.version ?? 0)) return;
      const next = this.extra.cases.slice();
      if (i >= 0) next[i] = c;
      else next.push(c);
      this.extra.cases = next;
      renderExtra('cases', true);
    },
  };

  function renderExtra(kind, changed) {
    for (const section of SECTIONS) if (section.extra === kind) renderSection(section, card.view, changed ? new Set() : null);
  }

  /** The order's timeline and cases, beside the view; only for the order still on the card. */
  async function loadExtras(orderId, which = ['timeline', 'cases']) {
    const still = () => card.view && card.view.order_id === orderId;
    const tasks = [];
    if (which.includes('timeline')) {
      tasks.push(
        api(`/orders/${encodeURIComponent(orderId)}/timeline`)
          .then((r) => {
            if (!still()) return;
            if (r.status === 200) {
              const first = card.extra.timeline === null;
              card.extra.timeline = r.body.events;
              card.extra.timelineError = null;
              renderExtra('timeline', !first);
            } else {
              card.extra.timelineError = `The timeline could not be read: ${r.body?.message || `HTTP ${r.status}`}`;
              renderExtra('timeline', false);
            }
          })
          .catch(() => undefined),
      );
    }
    if (which.includes('cases')) {
      tasks.push(
        api(`/orders/${encodeURIComponent(orderId)}/cases`)
          .then((r) => {
            if (!still()) return;
            if (r.status === 200) {
              const first = card.extra.cases === null;
              card.extra.cases = r.body.cases;
              card.extra.casesError = null;
              renderExtra('cases', !first);
            } else {
              card.extra.casesError = `The cases could not be read: ${r.body?.message || `HTTP ${r.status}`}`;
              renderExtra('cases', false);
            }
          })
          .catch(() => undefined),
      );
    }
    await Promise.all(tasks);
  }

  /** A live change of the order: read its timeline and cases again, at most about once a second. */
  function scheduleExtras() {
    if (card.refreshTimer) return;
    card.refreshTimer = setTimeout(() => {
      card.refreshTimer = null;
      if (card.view) loadExtras(card.view.order_id);
    }, 800);
  }

  /**
   * Takes the card (and any result list) off the page, contents and all, and stops following its
   * order: after a failed lookup nothing of the previous customer's order may stay readable.
   */
  function clearCard() {
    card.view = null;
    card.extra = { timeline: null, cases: null, timelineError: null, casesError: null };
    clearTimeout(card.refreshTimer);
    card.refreshTimer = null;
    if (card.sub) feed.unsubscribe(card.sub);
    card.sub = null;
    $('card').hidden = true;
    $('card').classList.remove('deleted');
    for (const section of SECTIONS) $(section.el).replaceChildren();
    $('order-cases-count').textContent = '';
    $('status').className = 'badge';
    $('results').hidden = true;
    $('results').replaceChildren();
    $('empty').hidden = false;
    if (view.current === 'order') history.replaceState(null, '', `${location.pathname}${location.search}`);
  }

  function showCard(v) {
    const same = card.view && card.view.order_id === v.order_id;
    card.view = v;
    if (!same) card.extra = { timeline: null, cases: null, timelineError: null, casesError: null };
    $('empty').hidden = true;
    $('results').hidden = true;
    $('card').hidden = false;
    $('card').classList.remove('deleted');
    for (const section of SECTIONS) renderSection(section, v, null);
    setView('order');
    history.replaceState(null, '', `${location.pathname}${location.search}#order=${encodeURIComponent(v.order_id)}`);
    if (card.sub) feed.unsubscribe(card.sub);
    card.sub = `order-${++card.seq}`;
    feed.subscribe(card.sub, { order_ids: [v.order_id] }, () => (card.view ? { [card.view.order_id]: card.view.version } : {}), onOrderMessage);
    loadExtras(v.order_id);
  }

  function applyToCard(fields, version) {
    const changed = new Set(Object.keys(fields));
    changed.add('version');
    card.view = { ...card.view, ...fields, version };
    for (const section of SECTIONS) if (section.fields.some((f) => changed.has(f))) renderSection(section, card.view, changed);
    scheduleExtras();
  }

  function onOrderMessage(message) {
    const v = card.view;
    if (!v) return;
    if (message.type === 'snapshot') {
      const fresh = message.orders.find((o) => o.order_id === v.order_id);
      if (fresh) applyToCard(fresh, fresh.version);
    } else if (message.type === 'delta' && message.order_id === v.order_id) {
      if (message.from_version !== v.version && !('order_id' in message.fields)) {
        // Out of step (should not happen): fetch the whole view instead of guessing.
        lookUp((current) => openOrder(v.order_id, current));
        return;
      }
      applyToCard(message.fields, message.version);
    } else if (message.type === 'deleted' && message.order_id === v.order_id) {
      $('card').classList.add('deleted');
      notice(`Order ${v.order_id} was deleted in the CRM.`, 'warn');
    }
  }

  // ---------------------------------------------------------------- API and search

  async function api(path, options = {}) {
    const headers = { authorization: `Bearer ${token()}`, accept: 'application/json' };
    const init = { method: options.method || 'GET', headers };
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(options.body);
    }
    const response = await fetch(path, init);
    const body = await response.json().catch(() => null);
    if (response.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      throw new Error('The token was refused (401). Use "Change token" and enter a valid one.');
    }
    if (response.status === 403) throw new Error(body?.message || 'This token may not do that (403).');
    return { status: response.status, body };
  }

  function notice(message, kind = 'info') {
    const el = $('notice');
    el.textContent = message;
    el.dataset.kind = kind;
    el.hidden = !message;
  }

  /** The order's view, or null when there is no such order (404). */
  async function fetchOrder(orderId) {
    const result = await api(`/orders/${encodeURIComponent(orderId)}`);
    if (result.status === 200) return result.body;
    if (result.status !== 404) throw new Error(result.body?.message || `HTTP ${result.status}`);
    return null;
  }

  /**
   * Runs one lookup (a search, a click, a deep link). Only the newest may touch the page: a slower
   * earlier one must not bring its order back over a later answer. A failure clears the card.
   */
  const lookups = { seq: 0 };
  function lookUp(task) {
    const seq = ++lookups.seq;
    const current = () => seq === lookups.seq;
    setView('order');
    task(current).catch((err) => {
      if (!current()) return;
      clearCard();
      fail(err);
    });
  }

  async function openOrder(orderId, current) {
    const v = await fetchOrder(orderId);
    if (!current()) return;
    if (v === null) {
      clearCard();
      notice(`No order ${orderId}.`, 'warn');
      return;
    }
    notice('');
    showCard(v);
  }

  function showResults(orders, query) {
    clearCard();
    const el = $('results');
    el.innerHTML =
      `<h2>${orders.length} orders for ${esc(query)}</h2><ul>` +
      orders
        .map((o) => `<li><button type="button" class="result" data-order="${esc(o.order_id)}"><code>${esc(o.order_id)}</code> ${badge(o.status)} <span class="muted">${time(o.created_at)} · ${esc(o.customer ? o.customer.name : '')}</span></button></li>`)
        .join('') +
      '</ul>';
    el.hidden = false;
    $('empty').hidden = true;
  }

  async function searchBy(param, value) {
    const result = await api(`/orders?${param}=${encodeURIComponent(value)}&limit=20`);
    if (result.status !== 200) throw new Error(result.body?.message || `HTTP ${result.status}`);
    return result.body.orders;
  }

  /**
   * A phone (in any formatting) searches customer and ship-to phones; anything else is an order
   * id, else a tracking number, else a fulfillment id, in any case.
   */
  async function search(raw, current) {
    const query = raw.trim();
    if (!query) return;
    notice('');
    let orders;
    if (terms.looksLikePhone(query)) {
      orders = await searchBy('phone', terms.normalizePhone(query));
    } else {
      const id = terms.normalizeIdentifier(query);
      const v = await fetchOrder(id);
      if (!current()) return;
      if (v !== null) {
        showCard(v);
        return;
      }
      orders = await searchBy('tracking_no', id);
      if (orders.length === 0 && current()) orders = await searchBy('fulfillment_id', id);
    }
    if (!current()) return;
    if (orders.length === 0) {
      clearCard();
      notice(`No order found for "${query}".`, 'warn');
    } else if (orders.length === 1) showCard(orders[0]);
    else showResults(orders, query);
  }

  // ---------------------------------------------------------------- live feed

  const feed = {
    socket: null,
    subscriptions: new Map(),
    retryMs: 1000,
    connect() {
      const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
      const socket = new WebSocket(`${scheme}://${location.host}/ws?access_token=${encodeURIComponent(token())}`);
      this.socket = socket;
      setLive('connecting');
      socket.addEventListener('open', () => {
        this.retryMs = 1000;
        setLive('live');
        for (const [id, sub] of this.subscriptions) this.send(this.subscribeMessage(id, sub));
      });
      socket.addEventListener('message', (event) => {
        let message;
        try {
          message = JSON.parse(event.data);
        } catch {
          return;
        }
        const sub = message.id !== undefined ? this.subscriptions.get(message.id) : undefined;
        if (message.type === 'error') console.warn('feed error', message);
        if (sub) sub.onMessage(message);
      });
      socket.addEventListener('close', () => {
        if (this.socket !== socket) return;
        setLive('offline');
        setTimeout(() => this.connect(), this.retryMs);
        this.retryMs = Math.min(this.retryMs * 2, 15000);
      });
    },
    subscribeMessage(id, sub) {
      return { type: 'subscribe', id, ...sub.extra, filter: sub.filter, versions: sub.versions() };
    },
    send(message) {
      if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
    },
    /** `extra`: more fields of the subscribe message, e.g. `{ stream: 'cases' }`. */
    subscribe(id, filter, versions, onMessage, extra = {}) {
      const sub = { filter, versions, onMessage, extra };
      this.subscriptions.set(id, sub);
      this.send(this.subscribeMessage(id, sub));
    },
    unsubscribe(id) {
      if (this.subscriptions.delete(id)) this.send({ type: 'unsubscribe', id });
    },
  };

  function setLive(state) {
    $('live').dataset.state = state;
    $('live-text').textContent = state;
  }

  // ---------------------------------------------------------------- the health page

  function chartPanel(id, caption, svg) {
    const panel = $(id);
    panel.querySelector('.caption').textContent = caption;
    panel.querySelector('.chart-box').innerHTML = svg;
  }

  const health = {
    timer: null,
    seq: 0,
    data: null,

    start() {
      if (this.timer) return;
      this.refresh();
      this.timer = setInterval(() => {
        if (!document.hidden) this.refresh();
      }, HEALTH_REFRESH_MS);
    },

    stop() {
      clearInterval(this.timer);
      this.timer = null;
    },

    async refresh() {
      const seq = ++this.seq;
      try {
        const result = await api('/insights/health');
        if (seq !== this.seq) return;
        if (result.status !== 200) throw new Error(result.body?.message || `HTTP ${result.status}`);
        this.data = result.body;
        $('health-note').hidden = true;
        this.render();
      } catch (err) {
        if (seq !== this.seq) return;
        $('health-note').textContent = `The health figures could not be read: ${err instanceof Error ? err.message : String(err)}${this.data ? ' (showing the last ones read)' : ''}`;
        $('health-note').hidden = false;
      }
    },

    render() {
      const d = this.data;
      if (!d) return;
      $('health-updated').innerHTML = `figures of ${time(d.generated_at, { seconds: true })}`;
      $('view-health').dataset.generatedAt = d.generated_at;

      // On-time delivery by channel and day: a line per channel over the days, or bars per
      // channel while there are too few days for a line to say anything.
      const otd = d.otd || [];
      const days = [...new Set(otd.map((r) => r.day))].sort();
      const channels = [...new Set(otd.map((r) => r.channel))].sort();
      const otdAt = new Map(otd.map((r) => [`${r.channel}|${r.day}`, r]));
      const onTime = otd.reduce((a, r) => a + (r.on_time || 0), 0);
      const judged = otd.reduce((a, r) => a + (r.on_time || 0) + (r.late || 0), 0);
      const percent = (v) => `${Math.round(v * 100)} %`;
      const rate = (ch, day) => otdAt.get(`${ch}|${day}`)?.otd_rate ?? null;
      chartPanel(
        'chart-otd',
        judged > 0
          ? `${int(onTime)} of ${int(judged)} deliveries with a promise were on time (${pct(onTime / judged)}); days are UTC dates.`
          : 'No delivery with a promised date yet.',
        days.length > 3
          ? charts.lineChart({
              title: 'On-time delivery rate by channel and day',
              categories: days,
              series: channels.map((ch) => ({ name: ch, values: days.map((day) => rate(ch, day)) })),
              max: 1, tickCount: 4, width: 1280, height: 250, format: percent,
              empty: 'No delivery with a promised date yet.',
            })
          : charts.groupedBars({
              title: 'On-time delivery rate by channel and day',
              categories: channels,
              series: days.map((day) => ({ name: day, values: channels.map((ch) => rate(ch, day)) })),
              max: 1, tickCount: 4, width: 1280, height: 230, format: percent, legend: true,
              empty: 'No delivery with a promised date yet.',
            }),
      );

      // Cases by rule: opened = self-healed + by agent + still open.
      const rules = [...(d.cases_by_rule || [])].sort((a, b) => b.opened - a.opened || (a.rule < b.rule ? -1 : 1));
      const opened = rules.reduce((a, r) => a + r.opened, 0);
      const healed = rules.reduce((a, r) => a + r.self_healed, 0);
      const resolved = rules.reduce((a, r) => a + r.self_healed + r.by_agent, 0);
      chartPanel(
        'chart-cases',
        opened > 0 ? `${int(opened)} opened, ${int(rules.reduce((a, r) => a + r.open, 0))} still open; ${resolved > 0 ? `${pct(healed / resolved)} of the resolved ones self-healed` : 'none resolved yet'}` : 'No case opened yet.',
        charts.stackedBars({
          title: 'Cases opened by rule',
          rows: rules.map((r) => ({ label: r.rule, segments: [r.self_healed, r.by_agent, r.open], note: `${int(r.opened)} · heal ${pct(r.self_heal_rate)}` })),
          series: ['self-healed', 'resolved by an agent', 'open'],
          noteWidth: 130,
          empty: 'No case opened yet.',
        }),
      );

      const timed = rules.filter((r) => Number.isFinite(r.resolve_p50_s));
      chartPanel(
        'chart-resolve',
        timed.length > 0 ? 'From opening to resolution (self-healed or by an agent).' : 'No case resolved yet.',
        charts.stackedBars({
          title: 'Time to resolve by rule',
          rows: timed.map((r) => ({
            label: r.rule,
            segments: [r.resolve_p50_s, Math.max(0, (r.resolve_p90_s ?? r.resolve_p50_s) - r.resolve_p50_s)],
            note: `p50 ${duration(r.resolve_p50_s * 1000)} · p90 ${duration((r.resolve_p90_s ?? r.resolve_p50_s) * 1000)}`,
          })),
          series: ['p50', 'p90'],
          noteWidth: 150,
          format: (s) => duration(s * 1000),
          empty: 'No case resolved yet.',
        }),
      );

      const fresh = [...(d.freshness || [])].sort((a, b) => (a.source < b.source ? -1 : 1));
      chartPanel(
        'chart-freshness',
        fresh.length > 0 ? fresh.map((f) => `${String(f.source).toUpperCase()}: ${int(f.events)} events, lag ${duration(f.lag_ms)}`).join(' · ') : 'No event yet.',
        charts.groupedBars({
          title: 'Source freshness',
          categories: fresh.map((f) => String(f.source).toUpperCase()),
          series: [
            { name: 'p50', values: fresh.map((f) => f.p50_ms) },
            { name: 'p99', values: fresh.map((f) => f.p99_ms) },
            { name: 'lag now', values: fresh.map((f) => f.lag_ms) },
          ],
          format: duration,
          empty: 'No event yet.',
        }),
      );

      // Orders waiting now, by the status they wait in: past the threshold, and at risk.
      const byStage = new Map();
      for (const s of d.stuck || []) {
        const row = byStage.get(s.stage) || { stage: s.stage, orders: 0, breached: 0, rules: new Set() };
        row.orders += s.orders;
        row.breached += Number.isFinite(s.breached) ? s.breached : s.orders;
        row.rules.add(s.rule);
        byStage.set(s.stage, row);
      }
      const stuck = [...byStage.values()].sort((a, b) => b.orders - a.orders || (a.stage < b.stage ? -1 : 1));
      chartPanel(
        'chart-stuck',
        stuck.length > 0
          ? (() => {
              const waiting = stuck.reduce((a, s) => a + s.orders, 0);
              return `${int(waiting)} ${waiting === 1 ? 'order' : 'orders'} waiting on a rule now, ${int(stuck.reduce((a, s) => a + s.breached, 0))} of ${waiting === 1 ? 'it' : 'them'} past the threshold.`;
            })()
          : 'No order is stuck.',
        charts.stackedBars({
          title: 'Orders stuck now, by stage',
          rows: stuck.map((s) => ({ label: label(s.stage), segments: [s.breached, s.orders - s.breached], note: `${int(s.orders)} · ${[...s.rules].join(', ')}` })),
          series: ['past the threshold', 'at risk'],
          labelWidth: 150,
          noteWidth: 220,
          empty: 'No order is stuck.',
        }),
      );

      const cancels = [...(d.cancellations || [])].sort((a, b) => (a.channel < b.channel ? -1 : 1));
      chartPanel(
        'chart-cancellations',
        cancels.length > 0
          ? `${int(cancels.reduce((a, c) => a + c.cancelled, 0))} cancelled and ${int(cancels.reduce((a, c) => a + c.returned, 0))} returned of ${int(cancels.reduce((a, c) => a + c.orders, 0))} orders.`
          : 'No order yet.',
        charts.groupedBars({
          title: 'Cancellation and return rate by channel',
          categories: cancels.map((c) => c.channel),
          series: [
            { name: 'cancelled', values: cancels.map((c) => c.cancel_rate) },
            { name: 'returned', values: cancels.map((c) => c.return_rate) },
          ],
          format: (v) => `${Math.round(v * 1000) / 10} %`,
          empty: 'No order yet.',
        }),
      );

      const changes = [...(d.strategy_changes || [])].sort((a, b) => (a.changed_at < b.changed_at ? 1 : -1)).slice(0, 12);
      chartPanel(
        'chart-strategy',
        changes.length > 0 ? `Newest ${changes.length}: from the file's change to the rule or pipeline running live.` : 'From a rule or pipeline file\'s change to it running live.',
        charts.stackedBars({
          title: 'Strategy changes: time until live',
          rows: changes.map((c) => ({
            label: c.file,
            segments: [c.response_s],
            note: `${Number.isFinite(c.response_s) ? duration(c.response_s * 1000) : 'not live yet'} · ${c.kind}`,
          })),
          series: ['seconds until live'],
          labelWidth: 250,
          noteWidth: 130,
          format: (s) => duration(s * 1000),
          empty: 'No pipeline or rule file changed while running.',
        }),
      );
    },
  };

  // ---------------------------------------------------------------- the sandbox page (admins)

  const sandbox = {
    /** Whether this token may run the sandbox (the tab shows only then). */
    allowed: false,
    /** GET /admin/sandbox: production's files, and whether a run is going on. */
    status: null,
    busy: false,
    report: null,
    /** The instants the window inputs show, ISO UTC: kept when the zone picker changes. */
    window: { from: null, to: null },

    /** Admins only: the server says who the token is (`GET /whoami`), and whether it serves the sandbox at all. */
    async probe(openIt) {
      const me = await api('/whoami').catch(() => null);
      if (!me || me.status !== 200 || !me.body || !me.body.roles.includes('admin')) return;
      const result = await api('/admin/sandbox').catch(() => null);
      if (!result || result.status !== 200 || !result.body) return;
      this.allowed = true;
      this.status = result.body;
      $('tab-sandbox').hidden = false;
      this.showStatus();
      if (openIt && view.current === 'queue') setView('sandbox');
    },

    async enter() {
      if (!this.window.from || !this.window.to) this.lastHours(24);
      this.fillWindow();
      const result = await api('/admin/sandbox').catch(() => null);
      if (result && result.status === 200) {
        this.status = result.body;
        this.showStatus();
      }
    },

    showStatus() {
      const s = this.status;
      if (!s) return;
      $('sb-production-pipelines').textContent = s.pipelines.length ? ` (${s.pipelines.join(', ')})` : '';
      $('sandbox-state').innerHTML = s.running
        ? `<span class="pill warn">a run by ${esc(s.by)} is going on since ${time(s.since)}</span>`
        : `Production: ${s.pipelines.length} pipeline files, ${s.rules.length} rule files · ${esc(s.batch_orders)} orders per batch`;
    },

    /** The window as the last `hours` hours, to the next whole minute. */
    lastHours(hours) {
      const to = Math.ceil(Date.now() / 60000) * 60000;
      this.window = { from: new Date(to - hours * 3_600_000).toISOString(), to: new Date(to).toISOString() };
    },

    fillWindow() {
      const zoneName = currentZone();
      $('sb-from').value = clock.isoToWallTime(this.window.from, zoneName);
      $('sb-to').value = clock.isoToWallTime(this.window.to, zoneName);
      const p = clock.zonedParts(this.window.to || new Date().toISOString(), zoneName);
      $('sb-zone').textContent = `${p ? p.zone : zoneName}${zoneName !== 'UTC' ? ` (${zoneName})` : ''}`;
    },

    readWindow() {
      const zoneName = currentZone();
      this.window = { from: clock.wallTimeToIso($('sb-from').value, zoneName), to: clock.wallTimeToIso($('sb-to').value, zoneName) };
    },

    showSource(group) {
      const source = document.querySelector(`input[name="sb-${group}-source"]:checked`).value;
      for (const el of document.querySelectorAll(`#sb-${group} .sb-input`)) el.hidden = el.dataset.source !== source;
    },

    /** `{files}` or `{dir}` for pipelines or rules as the form gives them; null for no rules. Throws what is wrong. */
    async candidate(group) {
      const source = document.querySelector(`input[name="sb-${group}-source"]:checked`).value;
      const what = group === 'pipelines' ? 'pipeline' : 'rule';
      if (source === 'none') return null;
      if (source === 'dir') {
        const dir = $(`sb-${group}-dir`).value.trim();
        if (!dir) throw new Error(`Name the folder of candidate ${what} files on the server.`);
        return { dir };
      }
      const picked = [...$(`sb-${group}-files`).files];
      if (picked.length === 0) throw new Error(`Choose the candidate ${what} files to upload (one changed file is enough).`);
      if (picked.length > sandboxReport.MAX_FILES) throw new Error(`At most ${sandboxReport.MAX_FILES} ${what} files at once.`);
      const problems = picked.map((file) => sandboxReport.fileNameProblem(file.name)).filter(Boolean);
      if (problems.length) throw new Error(problems.join('\n'));
      const files = [];
      for (const file of picked) {
        const text = await file.text();
        if (text.length > sandboxReport.MAX_FILE_CHARS) throw new Error(`${file.name}: over ${sandboxReport.MAX_FILE_CHARS / 1024} KiB`);
        files.push({ name: file.name, text });
      }
      return { files };
    },

    setBusy(on) {
      this.busy = on;
      const button = $('sb-run');
      button.disabled = on;
      button.classList.toggle('busy', on);
      button.textContent = on ? 'Running…' : 'Run sandbox';
      for (const set of document.querySelectorAll('#sandbox-form fieldset')) set.disabled = on;
      $('sandbox-form').setAttribute('aria-busy', String(on));
      clearInterval(this.ticker);
      if (!on) return;
      const started = Date.now();
      const tick = () => ($('sb-busy').textContent = `Rebuilding the window's orders with the candidate files… ${Math.round((Date.now() - started) / 1000)} s`);
      tick();
      this.ticker = setInterval(tick, 1000);
    },

    showError(title, message) {
      const el = $('sandbox-error');
      el.innerHTML = `<strong>${esc(title)}</strong>${message ? `<pre>${esc(message)}</pre>` : ''}`;
      el.hidden = false;
    },

    async run() {
      if (this.busy) return;
      $('sandbox-error').hidden = true;
      let body;
      try {
        this.readWindow();
        if (!this.window.from || !this.window.to) throw new Error('Pick the window: both times.');
        if (this.window.to <= this.window.from) throw new Error('The window must end after it starts.');
        const pipelines = await this.candidate('pipelines');
        const rules = await this.candidate('rules');
        const orders = $('sb-orders').value.trim();
        body = { from: this.window.from, to: this.window.to, pipelines, ...(rules ? { rules } : {}), ...(orders ? { orders } : {}) };
      } catch (err) {
        this.showError('Check the form', err instanceof Error ? err.message : String(err));
        return;
      }
      this.setBusy(true);
      $('sb-busy').dataset.state = 'running';
      try {
        const result = await api('/admin/sandbox', { method: 'POST', body });
        if (result.status === 200) {
          this.report = result.body;
          this.render();
          $('sb-busy').textContent = `Done: ${int(this.report.totals.orders_changed)} of ${int(this.report.totals.orders_compared)} orders change.`;
        } else {
          const b = result.body || {};
          const title =
            result.status === 409
              ? 'Another sandbox run is going on (409)'
              : result.status === 413
                ? 'The upload is too large (413)'
                : result.status === 400
                  ? b.error === 'OL_ERR_PIPELINE_INVALID' || b.error === 'OL_ERR_RULE_INVALID'
                    ? `The candidate files do not load (400 ${b.error})`
                    : `The request was refused (400 ${b.error || ''})`
                  : `The sandbox failed (${result.status}${b.error ? ` ${b.error}` : ''})`;
          this.showError(title, b.message || '');
          $('sb-busy').textContent = '';
        }
      } catch (err) {
        this.showError('The sandbox failed', err instanceof Error ? err.message : String(err));
        $('sb-busy').textContent = '';
      } finally {
        this.setBusy(false);
        $('sb-busy').dataset.state = 'idle';
        this.enter();
      }
    },

    render() {
      const el = $('sandbox-result');
      if (!this.report) {
        el.hidden = true;
        return;
      }
      el.innerHTML = sandboxReport.renderReport(this.report, { esc, time, badge });
      el.hidden = false;
    },

    download() {
      if (!this.report) return;
      const url = URL.createObjectURL(new Blob([JSON.stringify(this.report, null, 2)], { type: 'application/json' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `sandbox-${this.report.window.from.replace(/[:.]/g, '-')}.json`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    },
  };

  for (const group of ['pipelines', 'rules']) {
    for (const radio of document.querySelectorAll(`input[name="sb-${group}-source"]`)) radio.addEventListener('change', () => sandbox.showSource(group));
  }
  for (const button of document.querySelectorAll('[data-window-hours]')) {
    button.addEventListener('click', () => {
      sandbox.lastHours(Number(button.dataset.windowHours));
      sandbox.fillWindow();
    });
  }
  for (const id of ['sb-from', 'sb-to']) $(id).addEventListener('change', () => sandbox.readWindow());
  $('sandbox-form').addEventListener('submit', (event) => {
    event.preventDefault();
    sandbox.run();
  });
  $('sandbox-result').addEventListener('click', (event) => {
    if (event.target.closest('#sandbox-download')) sandbox.download();
  });

  // ---------------------------------------------------------------- the time zone picker

  function renderZonePicker() {
    const now = new Date().toISOString();
    $('zone').innerHTML = clock.ZONE_CHOICES.map((z) => `<option value="${esc(z)}">${esc(clock.describeZone(z, now))}</option>`).join('');
    $('zone').value = clock.ZONE_CHOICES.includes(zone.choice) ? zone.choice : 'local';
  }

  /** Every time on the page again, in the new zone. */
  function rerenderTimes() {
    if (card.view) for (const section of SECTIONS) renderSection(section, card.view, null);
    for (const c of queue.model.list()) {
      const li = queue.rows.get(c.case_id);
      if (li) queue.fill(li, c);
    }
    health.render();
    sandbox.fillWindow();
    sandbox.render();
    if (sandbox.status) sandbox.showStatus();
    for (const el of document.querySelectorAll('#results time')) {
      el.outerHTML = time(el.getAttribute('datetime'));
    }
  }

  $('zone').addEventListener('change', () => {
    zone.choice = $('zone').value;
    localStorage.setItem(ZONE_KEY, zone.choice);
    rerenderTimes();
  });

  // ---------------------------------------------------------------- wiring

  function fail(err) {
    notice(err instanceof Error ? err.message : String(err), 'error');
  }

  $('search').addEventListener('submit', (event) => {
    event.preventDefault();
    const query = $('search-input').value;
    lookUp((current) => search(query, current));
  });
  // A listed order opens in place of the search: the box shows what is open, not the old query.
  document.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-order]');
    if (!button) return;
    const orderId = button.dataset.order;
    $('search-input').value = orderId;
    lookUp((current) => openOrder(orderId, current));
  });
  for (const tab of document.querySelectorAll('.tab[data-view]')) tab.addEventListener('click', () => setView(tab.dataset.view));
  $('sign-out').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    if (token()) location.reload();
  });
  // Relative times ("12 min ago") and freshness age as the clock moves on.
  setInterval(() => {
    if (document.hidden) return;
    if (card.view) for (const section of SECTIONS) if (['sources', 'where'].includes(section.el)) renderSection(section, card.view, null);
  }, 30000);

  renderZonePicker();
  const deepLink = takeFragment();
  if (!token()) {
    setView('queue');
    notice('No token: the console needs an API token with role agent or admin. Use "Change token".', 'error');
    return;
  }
  setView(deepLink.order ? 'order' : deepLink.view || 'queue');
  queue.subscribe();
  feed.connect();
  sandbox.probe(deepLink.view === 'sandbox').catch(() => undefined);
  if (deepLink.order) {
    $('search-input').value = deepLink.order;
    lookUp((current) => openOrder(deepLink.order, current));
  }
})();
