// orderlake agent console: plain JS, no build step. Talks to the HTTP API (GET /orders…) and the
// live feed (/ws). Only the parts of the card whose fields changed are re-rendered, and they flash.
(() => {
  'use strict';

  const TOKEN_KEY = 'orderlake.token';
  const EXCEPTION_LIST_MAX = 200;
  const $ = (id) => document.getElementById(id);
  const terms = globalThis.orderlakeSearchTerms;

  // ---------------------------------------------------------------- token

  function takeTokenFromFragment() {
    const params = new URLSearchParams(location.hash.slice(1));
    const token = params.get('token');
    if (token) {
      sessionStorage.setItem(TOKEN_KEY, token);
      params.delete('token');
      const rest = params.toString();
      history.replaceState(null, '', location.pathname + location.search + (rest ? `#${rest}` : ''));
    }
    return params.get('order');
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

  function time(iso) {
    if (!iso) return dash;
    const d = new Date(iso);
    const pad = (n) => String(n).padStart(2, '0');
    return `<time datetime="${esc(iso)}" title="${esc(iso)}">${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}</time>`;
  }

  function ago(iso) {
    if (!iso) return '';
    const seconds = Math.round((Date.now() - Date.parse(iso)) / 1000);
    const abs = Math.abs(seconds);
    const span =
      abs < 60 ? `${abs} s` : abs < 3600 ? `${Math.round(abs / 60)} min` : abs < 86400 ? `${Math.round(abs / 3600)} h` : `${Math.round(abs / 86400)} d`;
    return seconds >= 0 ? `${span} ago` : `in ${span}`;
  }

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
  const badge = (status) => `<span class="badge tone-${tone(status)}">${esc(label(status))}</span>`;

  function table(columns, rows, keyOf) {
    if (rows.length === 0) return `<p class="muted small">none</p>`;
    const head = columns.map((c) => `<th>${esc(c.title)}</th>`).join('');
    const body = rows
      .map((row) => `<tr data-key="${esc(keyOf(row))}" data-json="${esc(JSON.stringify(row))}">${columns.map((c) => `<td>${c.cell(row)}</td>`).join('')}</tr>`)
      .join('');
    return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
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

  /** Each section: the top-level fields it shows, and how it renders. */
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
      render: (v) => `version ${esc(v.version)} · updated ${time(v.updated_at)}`,
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
      el: 'exceptions', fields: ['exceptions'],
      render: (v) =>
        v.exceptions.length === 0
          ? ''
          : `<span class="k">Exceptions</span> ${v.exceptions.map((code) => `<span class="chip" data-field="exceptions">${esc(label(code))}</span>`).join('')}`,
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
      el: 'after-sales', fields: ['after_sales'], rows: true,
      render: (v) =>
        table(
          [
            { title: 'Case', cell: (c) => `<code>${esc(c.case_id)}</code>` },
            { title: 'Type', cell: (c) => esc(label(c.case_type)) },
            { title: 'Status', cell: (c) => esc(label(c.status)) },
            { title: 'Item', cell: (c) => `${esc(c.sku)} × ${esc(c.quantity)}${c.replacement_sku ? ` → ${esc(c.replacement_sku)}` : ''}` },
            { title: 'Refund', cell: (c) => text(c.refund_amount) },
          ],
          v.after_sales,
          (c) => c.case_id,
        ),
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
      el: 'ship-to', fields: ['ship_to', 'address_changes'],
      render: (v) => {
        const a = v.ship_to;
        if (!a) return `<p class="muted small">not known yet</p>`;
        const changes = v.address_changes > 0 ? `<p class="small"><span class="pill warn">address changed ${esc(v.address_changes)}×</span></p>` : '';
        return `<p data-field="ship_to"><strong>${esc(a.name)}</strong> <span class="muted">${esc(a.phone)}</span><br>${esc(a.province)} ${esc(a.city)} ${esc(a.district || '')}<br>${esc(a.line)} ${esc(a.postcode || '')}</p>${changes}`;
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

  function renderSection(section, view, changed) {
    const el = $(section.el);
    const previousRows = section.rows ? new Map([...el.querySelectorAll('tr[data-key]')].map((tr) => [tr.dataset.key, tr.dataset.json])) : null;
    el.innerHTML = section.render(view);
    if (section.after) section.after(el, view);
    if (!changed) return;
    if (previousRows) {
      for (const tr of el.querySelectorAll('tr[data-key]')) if (previousRows.get(tr.dataset.key) !== tr.dataset.json) flash(tr);
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

  const card = { view: null, sub: null, seq: 0 };

  /**
   * Takes the card (and any result list) off the page, contents and all, and stops following its
   * order: after a failed lookup nothing of the previous customer's order may stay readable.
   */
  function clearCard() {
    card.view = null;
    if (card.sub) feed.unsubscribe(card.sub);
    card.sub = null;
    $('card').hidden = true;
    $('card').classList.remove('deleted');
    for (const section of SECTIONS) $(section.el).replaceChildren();
    $('status').className = 'badge';
    $('results').hidden = true;
    $('results').replaceChildren();
    $('empty').hidden = false;
    history.replaceState(null, '', `${location.pathname}${location.search}`);
  }

  function showCard(view) {
    card.view = view;
    $('empty').hidden = true;
    $('results').hidden = true;
    $('card').hidden = false;
    $('card').classList.remove('deleted');
    for (const section of SECTIONS) renderSection(section, view, null);
    history.replaceState(null, '', `${location.pathname}${location.search}#order=${encodeURIComponent(view.order_id)}`);
    if (card.sub) feed.unsubscribe(card.sub);
    card.sub = `order-${++card.seq}`;
    feed.subscribe(card.sub, { order_ids: [view.order_id] }, () => (card.view ? { [card.view.order_id]: card.view.version } : {}), onOrderMessage);
  }

  function applyToCard(fields, version) {
    const changed = new Set(Object.keys(fields));
    changed.add('version');
    card.view = { ...card.view, ...fields, version };
    for (const section of SECTIONS) if (section.fields.some((f) => changed.has(f))) renderSection(section, card.view, changed);
  }

  function onOrderMessage(message) {
    const view = card.view;
    if (!view) return;
    if (message.type === 'snapshot') {
      const fresh = message.orders.find((o) => o.order_id === view.order_id);
      if (fresh) applyToCard(fresh, fresh.version);
    } else if (message.type === 'delta' && message.order_id === view.order_id) {
      if (message.from_version !== view.version && !('order_id' in message.fields)) {
        // Out of step (should not happen): fetch the whole view instead of guessing.
        lookUp((current) => openOrder(view.order_id, current));
        return;
      }
      applyToCard(message.fields, message.version);
    } else if (message.type === 'deleted' && message.order_id === view.order_id) {
      $('card').classList.add('deleted');
      notice(`Order ${view.order_id} was deleted in the CRM.`, 'warn');
    }
  }

  // ---------------------------------------------------------------- API and search

  async function api(path) {
    const response = await fetch(path, { headers: { authorization: `Bearer ${token()}`, accept: 'application/json' } });
    const body = await response.json().catch(() => null);
    if (response.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      throw new Error('The token was refused (401). Use "Change token" and enter a valid one.');
    }
    if (response.status === 403) throw new Error(body?.message || 'This token may not read orders (403).');
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
    task(current).catch((err) => {
      if (!current()) return;
      clearCard();
      fail(err);
    });
  }

  async function openOrder(orderId, current) {
    const view = await fetchOrder(orderId);
    if (!current()) return;
    if (view === null) {
      clearCard();
      notice(`No order ${orderId}.`, 'warn');
      return;
    }
    notice('');
    showCard(view);
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
      const view = await fetchOrder(id);
      if (!current()) return;
      if (view !== null) {
        showCard(view);
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
        for (const [id, sub] of this.subscriptions) this.send({ type: 'subscribe', id, filter: sub.filter, versions: sub.versions() });
      });
      socket.addEventListener('message', (event) => {
        let message;
        try {
          message = JSON.parse(event.data);
        } catch {
          return;
        }
        if (message.type === 'error') {
          console.warn('feed error', message);
          return;
        }
        const sub = message.id !== undefined ? this.subscriptions.get(message.id) : undefined;
        if (sub) sub.onMessage(message);
      });
      socket.addEventListener('close', () => {
        if (this.socket !== socket) return;
        setLive('offline');
        setTimeout(() => this.connect(), this.retryMs);
        this.retryMs = Math.min(this.retryMs * 2, 15000);
      });
    },
    send(message) {
      if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
    },
    subscribe(id, filter, versions, onMessage) {
      this.subscriptions.set(id, { filter, versions, onMessage });
      this.send({ type: 'subscribe', id, filter, versions: versions() });
    },
    unsubscribe(id) {
      if (this.subscriptions.delete(id)) this.send({ type: 'unsubscribe', id });
    },
  };

  function setLive(state) {
    $('live').dataset.state = state;
    $('live-text').textContent = state;
  }

  // ---------------------------------------------------------------- orders with exceptions

  const exceptionOrders = new Map();
  const exceptionItems = new Map();

  function exceptionItem(view) {
    let li = exceptionItems.get(view.order_id);
    if (!li) {
      li = document.createElement('li');
      li.dataset.order = view.order_id;
      exceptionItems.set(view.order_id, li);
    }
    li.innerHTML =
      `<button type="button" class="result" data-order="${esc(view.order_id)}">` +
      `<span class="row"><code>${esc(view.order_id)}</code>${badge(view.status)}</span>` +
      `<span class="codes">${view.exceptions.map((c) => `<span class="chip">${esc(label(c))}</span>`).join('')}</span>` +
      `<span class="muted small">${esc(view.customer ? view.customer.name : '')} · ${esc(ago(view.updated_at))}</span></button>`;
    return li;
  }

  /** What the list holds, for a resuming subscribe; a list too long to resume starts over. */
  function exceptionVersions() {
    if (exceptionOrders.size > 4000) {
      exceptionOrders.clear();
      exceptionItems.clear();
      $('exception-list').replaceChildren();
      return {};
    }
    return Object.fromEntries([...exceptionOrders].map(([id, v]) => [id, v.version]));
  }

  function renderExceptionCount() {
    $('exception-count').textContent = String(exceptionOrders.size);
  }

  function onExceptionMessage(message) {
    const list = $('exception-list');
    if (message.type === 'snapshot') {
      const sorted = [...message.orders].sort((a, b) => (a.updated_at < b.updated_at ? 1 : -1));
      for (const view of sorted) exceptionOrders.set(view.order_id, view);
      const fragment = document.createDocumentFragment();
      for (const view of sorted.slice(0, EXCEPTION_LIST_MAX)) fragment.append(exceptionItem(view));
      list.append(fragment);
      $('exception-note').textContent = message.truncated ? 'Showing the most recently changed orders.' : '';
    } else if (message.type === 'delta') {
      const held = exceptionOrders.get(message.order_id);
      if (message.removed) {
        exceptionOrders.delete(message.order_id);
        exceptionItems.get(message.order_id)?.remove();
        exceptionItems.delete(message.order_id);
      } else {
        const view = { ...(held || {}), ...message.fields, version: message.version };
        exceptionOrders.set(message.order_id, view);
        const li = exceptionItem(view);
        list.prepend(li);
        flash(li);
        while (list.children.length > EXCEPTION_LIST_MAX) {
          const last = list.lastElementChild;
          exceptionItems.delete(last.dataset.order);
          last.remove();
        }
      }
    } else if (message.type === 'deleted') {
      exceptionOrders.delete(message.order_id);
      exceptionItems.get(message.order_id)?.remove();
      exceptionItems.delete(message.order_id);
    }
    renderExceptionCount();
  }

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
  $('sign-out').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    if (token()) location.reload();
  });
  setInterval(() => {
    if (card.view && !document.hidden) renderSection(SECTIONS.find((s) => s.el === 'sources'), card.view, null);
  }, 30000);

  const deepLink = takeTokenFromFragment();
  if (!token()) {
    notice('No token: the console needs an API token with role agent or admin. Use "Change token".', 'error');
    return;
  }
  feed.subscribe('exceptions', { has_exception: true }, exceptionVersions, onExceptionMessage);
  feed.connect();
  if (deepLink) {
    $('search-input').value = deepLink;
    lookUp((current) => openOrder(deepLink, current));
  }
})();
