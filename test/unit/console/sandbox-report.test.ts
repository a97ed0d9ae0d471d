import { describe, expect, it } from 'vitest';
import { loadConsoleScript } from './console-scripts.js';

interface SandboxModule {
  fileNameProblem(name: string): string | null;
  showValue(v: unknown): string;
  renderReport(report: unknown, f: { esc(v: unknown): string; time(iso: string): string; badge(s: string): string }): string;
}

interface TimeModule {
  wallTimeToIso(value: string, zone: string): string | null;
  isoToWallTime(iso: string | null, zone: string): string;
}

const sandbox = loadConsoleScript<SandboxModule>('sandbox-report.js', 'orderlakeSandbox');
const time = loadConsoleScript<TimeModule>('time-zones.js', 'orderlakeTime');

const esc = (value: unknown) => String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const formatters = { esc, time: (iso: string) => `<time datetime="${esc(iso)}">${esc(iso)}</time>`, badge: (s: string) => `<span class="badge">${esc(s)}</span>` };


/** A report as `POST /admin/sandbox` answers it (src/sandbox/sandbox-report.ts), with a `cases` section of a newer shape. */
const REPORT = {
  window: { from: '2026-11-22T00:00:00.000Z', to: '2026-11-23T00:00:00.000Z' },
  pipelines: 'uploaded wms-fulfillment.yaml over /srv/pipelines',
  rules: null,
  orders_filter: 'SO-0001*',
  generated_at: '2026-11-23T01:00:00.000Z',
  totals: { orders_compared: 40, orders_changed: 2, orders_incomplete: 0, messages: 310, field_changes: 5, dead_letters_created: 1, dead_letters_cured: 0, unlinked_tracking: 0, events_outside: 0 },
  status_moves: [{ from: 'PACKED', to: 'PICKING', orders: 2 }],
  exceptions: { opened: { PICK_SHORT: 1 }, closed: {} },
  orders: [
    {
      order_id: 'SO-000101',
      change: 'changed',
      status: { from: 'PACKED', to: 'PICKING' },
      exceptions: { opened: ['PICK_SHORT'], closed: [] },
      fields: [
        { path: 'fulfillments[0].status', before: 'PACKED', after: 'PICKED' },
        { path: 'packed_at', before: '2026-11-22T03:00:00.000Z', after: null },
        { path: 'lines[2]', before: { sku: 'A' } },
      ],
    },
    { order_id: 'SO-000102<b>', change: 'appeared', exceptions: { opened: [], closed: [] }, fields: [{ path: '', after: { order_id: 'SO-000102' } }] },
  ],
  dead_letters: {
    created: [{ topic: 'wms.fulfillment.events', partition: 0, offset: '77', kafka_time: '2026-11-22T05:00:00.000Z', order_id: 'SO-000101', code: 'OL_ERR_NORMALIZE_MAPPING', reason: 'no mapping for "REROUTED"' }],
    cured: [],
  },
  incomplete: [],
  cases: { computed: true, note: 'replayed in event time', judged_until: '2026-11-23T00:00:00.000Z', rules: ['short-pick', 'carrier-exception'], opened: [{ case_id: 'c-1', rule: 'short-pick', order_id: 'SO-000101' }], resolved: [] },
  seconds: 1.2,
};

describe('console sandbox page (dashboards/console/sandbox-report.js)', () => {
  it('takes the file names the server takes', () => {
    for (const name of ['wms-fulfillment.yaml', 'crm_orders.v2.yml', 'A1.yaml']) expect(sandbox.fileNameProblem(name), name).toBeNull();
    expect(sandbox.fileNameProblem('notes.txt')).toContain('only .yaml or .yml');
    for (const name of ['.hidden.yaml', 'my file.yaml', 'a/b.yaml', '日本.yaml']) expect(sandbox.fileNameProblem(name), name).toContain('letters, digits');
  });

  it('renders totals, status moves, exceptions, each changed field before → after, dead letters and any cases section', () => {
    const html = sandbox.renderReport(REPORT, formatters);
    expect(html).toContain('data-total="orders_changed"');
    expect(html).toMatch(/data-total="orders_compared"><span class="k">orders compared<\/span><span class="v">40</);
    expect(html).toContain('<tr data-from="PACKED" data-to="PICKING">');
    expect(html).toContain('data-exception="PICK_SHORT"');
    // Each field with production's value and the candidate's, an absent side said so.
    expect(html).toMatch(/<tr data-path="fulfillments\[0\]\.status"><td><code>fulfillments\[0\]\.status<\/code><\/td><td class="before"><code>&quot;PACKED&quot;<\/code><\/td><td class="arrow">→<\/td><td class="after"><code>&quot;PICKED&quot;<\/code><\/td><\/tr>/);
    expect(html).toMatch(/data-path="lines\[2\]".*<td class="after"><span class="muted">\(absent\)<\/span>/);
    expect(html).toContain('(whole view)');
    // Order ids open the order card; nothing from the report reaches the page unescaped.
    expect(html).toContain('data-order="SO-000101"');
    expect(html).toContain('SO-000102&lt;b&gt;');
    expect(html).not.toContain('SO-000102<b>');
    expect(html).toContain('no mapping for &quot;REROUTED&quot;');
    // The cases section, whatever its shape: scalars, and arrays of objects as tables.
    expect(html).toContain('id="sandbox-cases"');
    expect(html).toContain('<dt>note</dt><dd data-key="note">replayed in event time</dd>');
    expect(html).toMatch(/<dt>opened<\/dt><dd data-key="opened"><table><thead><tr><th>case id<\/th><th>rule<\/th><th>order id<\/th>.*<td>c-1<\/td><td>short-pick<\/td>/);
    expect(html).toContain('<dd data-key="resolved"><span class="muted small">none</span></dd>');
    expect(html).toContain('<dd data-key="judged_until"><time datetime="2026-11-23T00:00:00.000Z">');
    expect(html).toContain('<dd data-key="rules"><span class="sb-values"><code>short-pick</code> <code>carrier-exception</code></span></dd>');
  });

  it('says when nothing changes, and leaves out a cases section the report lacks', () => {
    const html = sandbox.renderReport({ ...REPORT, orders: [], status_moves: [], cases: undefined, exceptions: { opened: {}, closed: {} } }, formatters);
    expect(html).toContain('No order\'s view changes with the candidate files.');
    expect(html).toContain('No order changes its status.');
    expect(html).not.toContain('sandbox-cases');
  });

  it('reads a datetime-local value in the picked zone as its instant, and back', () => {
    expect(time.wallTimeToIso('2026-12-02T16:05', 'Asia/Shanghai')).toBe('2026-12-02T08:05:00.000Z');
    expect(time.wallTimeToIso('2026-12-02T16:05', 'UTC')).toBe('2026-12-02T16:05:00.000Z');
    expect(time.wallTimeToIso('2026-12-02T16:05:30', 'Asia/Kolkata')).toBe('2026-12-02T10:35:30.000Z');
    expect(time.wallTimeToIso('2026-07-01T12:00', 'America/New_York')).toBe('2026-07-01T16:00:00.000Z');
    expect(time.wallTimeToIso('2026-12-01T12:00', 'America/New_York')).toBe('2026-12-01T17:00:00.000Z');
    // A wall time summer time skips, or repeats, takes the offset before the change.
    expect(time.wallTimeToIso('2026-03-08T02:30', 'America/New_York')).toBe('2026-03-08T07:30:00.000Z');
    expect(time.wallTimeToIso('2026-11-01T01:30', 'America/New_York')).toBe('2026-11-01T05:30:00.000Z');
    expect(time.wallTimeToIso('', 'UTC')).toBeNull();
    expect(time.wallTimeToIso('yesterday', 'UTC')).toBeNull();
    expect(time.isoToWallTime('2026-12-02T08:05:00.000Z', 'Asia/Shanghai')).toBe('2026-12-02T16:05');
    expect(time.isoToWallTime(null, 'UTC')).toBe('');
  });
});
