import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/metrics.js';
import {
  compileConfigSet,
  createLiveConfig,
  createLiveIngestor,
  toConfigSet,
  type ConfigFileText,
  type ConfigSet,
  type ConfigWatcher,
} from '../../../src/live-config/index.js';

const PIPELINES = path.resolve(import.meta.dirname, '../../../pipelines');

/** The repository's pipeline and rule files, in memory, each saved at `at`. */
function repoFiles(at: number): ConfigFileText[] {
  const read = (dir: string, kind: ConfigFileText['kind']) =>
    readdirSync(dir)
      .filter((n) => n.endsWith('.yaml'))
      .map((name) => ({ kind, name, changedAt: at, text: readFileSync(path.join(dir, name), 'utf8') }));
  return [...read(PIPELINES, 'pipelines'), ...read(path.join(PIPELINES, 'rules'), 'rules')];
}

function edit(files: ConfigFileText[], name: string, change: (text: string) => string, at: number): ConfigFileText[] {
  return files.map((f) => (f.name === name ? { ...f, text: change(f.text), changedAt: at } : f));
}

/** A watcher the test fires by hand. */
function manualWatcher(): ConfigWatcher & { fire(): void } {
  let listener: (() => void) | null = null;
  return { start: (fn) => void (listener = fn), close: () => void (listener = null), fire: () => listener?.() };
}

function harness() {
  let now = 1_000_000;
  let files = repoFiles(now - 60_000);
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  const metrics = createMetrics({ defaultMetrics: false });
  const compile = (set: ConfigSet, running?: { pipelines: Parameters<typeof compileConfigSet>[1]['running'] }) =>
    compileConfigSet(set, { pipelinesDir: PIPELINES, ...(running?.pipelines ? { running: running.pipelines } : {}) });
  const initial = compile(toConfigSet(files));
  if (!initial.ok) throw new Error('the repository pipelines must be valid');
  const live = createLiveConfig({
    initial: initial.config,
    read: async () => toConfigSet(files),
    compile: (set, running) => compile(set, running),
    clock: () => now,
    logger,
    metrics,
  });
  const watcher = manualWatcher();
  const checks: Array<Promise<unknown>> = [];
  watcher.start(() => checks.push(live.check()));
  return {
    live,
    metrics,
    lines,
    watcher,
    settle: () => Promise.all(checks.splice(0)),
    save(name: string, change: (text: string) => string) {
      files = edit(files, name, change, now);
      watcher.fire();
    },
    advance: (ms: number) => void (now += ms),
    get now() {
      return now;
    },
  };
}

const packedAsPicked = (text: string) => text.replace('      PACKED: PACKED', '      PACKED: PICKED');

describe('live configuration swap', () => {
  it('stages a valid change and swaps it in only at the next batch boundary, timing saved → live', async () => {
    const h = harness();
    const before = h.live.active.version;
    h.save('wms-fulfillment.yaml', packedAsPicked);
    await h.settle();
    expect(h.live.pending?.config.version).not.toBe(before);
    expect(h.live.active.version).toBe(before); // a batch in progress keeps what it started with

    h.advance(250);
    const active = h.live.beginBatch();
    expect(active.version).not.toBe(before);
    expect(active.changed).toEqual(['pipelines/wms-fulfillment.yaml']);
    expect(active.since - active.savedAt!).toBe(250);
    expect(h.live.pending).toBeNull();
    const wms = active.config.pipelines.find((p) => p.name === 'wms-fulfillment')!;
    expect(wms.maps?.['wms_event_types']?.values['PACKED']).toBe('PICKED');

    const gauge = (await h.metrics.strategyChangeSeconds.get()).values.find((v) => v.labels.kind === 'pipelines');
    expect(gauge?.value).toBe(0.25);
    expect(h.live.history().map((e) => [e.status, e.source, e.responseMs])).toEqual([
      ['live', 'files', 250],
      ['live', 'start', null],
    ]);
  });

  it('refuses an invalid change with an error naming file, path and reason; the old version stays', async () => {
    const h = harness();
    const before = h.live.active;
    h.save('wms-fulfillment.yaml', (t) => t.replace('{ from: occurred_at, type: millis-timestamp }', '{ from: occurred_at, type: millis-timestamps }'));
    await h.settle();
    expect(h.live.pending).toBeNull();
    expect(h.live.beginBatch()).toBe(before);

    const errors = h.lines.filter((l) => l.code === 'OL_ERR_CONFIG_RELOAD_REFUSED');
    expect(errors).toHaveLength(1);
    const problems = errors[0]!.problems as Array<{ file: string; path: string; reason: string; line?: number }>;
    expect(problems[0]!.file).toBe(path.join(PIPELINES, 'wms-fulfillment.yaml'));
    expect(problems[0]!.path).toBe('fields.occurred_at.type');
    expect(problems[0]!.reason).toMatch(/millis-timestamp/);
    expect(String(errors[0]!.msg)).toMatch(/wms-fulfillment\.yaml:\d+:\d+: fields\.occurred_at\.type/);
    expect(h.live.history()[0]).toMatchObject({ status: 'refused', changed: ['pipelines/wms-fulfillment.yaml'] });

    // The same broken files polled again: no second error line.
    h.watcher.fire();
    await h.settle();
    expect(h.lines.filter((l) => l.code === 'OL_ERR_CONFIG_RELOAD_REFUSED')).toHaveLength(1);

    // Fixed (and changed) afterwards: accepted.
    h.save('wms-fulfillment.yaml', (t) => packedAsPicked(t.replace('type: millis-timestamps }', 'type: millis-timestamp }')));
    await h.settle();
    expect(h.live.beginBatch().version).not.toBe(before.version);
  });

  it('refuses a rule file that does not parse, and a change that needs a restart (a new topic)', async () => {
    const h = harness();
    const before = h.live.active.version;
    h.save('paid-not-released.yaml', (t) => t.replace('threshold: 45m', 'threshold: soon'));
    await h.settle();
    h.save('crm-orders.yaml', (t) => t.replace('topic: crm.public.orders', 'topic: crm.public.orders.v2'));
    await h.settle();
    expect(h.live.beginBatch().version).toBe(before);
    const refused = h.lines.filter((l) => l.code === 'OL_ERR_CONFIG_RELOAD_REFUSED').map((l) => l.problems as Array<{ file: string; path: string; reason: string }>);
    expect(refused[0]![0]!.file).toMatch(/rules\/paid-not-released\.yaml$/);
    expect(refused[0]![0]!.path).toBe('threshold');
    // Still refused for the rule; fixed, the topic change alone is refused as needing a restart.
    h.save('paid-not-released.yaml', (t) => t.replace('threshold: soon', 'threshold: 45m'));
    await h.settle();
    expect(h.live.beginBatch().version).toBe(before);
    const last = h.lines.filter((l) => l.code === 'OL_ERR_CONFIG_RELOAD_REFUSED').at(-1)!.problems as Array<{ file: string; path: string; reason: string }>;
    expect(last.some((p) => p.path === 'topic' && /needs a restart/.test(p.reason))).toBe(true);
  });

  it('takes a version another worker published, and goes back to the running one without a swap', () => {
    const h = harness();
    const before = h.live.active.version;
    const published = toConfigSet(edit(repoFiles(h.now - 60_000), 'wms-fulfillment.yaml', packedAsPicked, h.now - 40));
    expect(h.live.offer(published, h.now - 40)).toBe('staged');
    expect(h.live.applyPending()).toBe(true);
    expect(h.live.active).toMatchObject({ version: published.version, source: 'shared' });
    expect(h.live.active.since - h.live.active.savedAt!).toBe(40);
    expect(h.live.offer(published, h.now)).toBe('unchanged');
    expect(before).not.toBe(published.version);
  });

  it('normalizes a whole batch with the version it started with, and tags each event with it', async () => {
    const h = harness();
    // A decoder that hands the record through (JSON bytes); the first batch stalls on an unknown schema.
    let release: () => void = () => undefined;
    const stalled = new Promise<void>((r) => (release = r));
    const decoder = {
      decodeKnown: (_topic: string, value: Buffer) => (value.toString() === 'stall' ? undefined : (JSON.parse(value.toString()) as unknown)),
      decode: async () => {
        await stalled;
        return wmsRecord('E-0');
      },
    };
    const ingestor = createLiveIngestor({ live: h.live, decoder, now: () => h.now });
    const message = (value: string, offset: number) => ({ topic: 'wms.fulfillment.events', partition: 0, offset: String(offset), timestamp: 0, key: null, value: Buffer.from(value) });
    const v1 = h.live.active.version;
    const first = ingestor.ingestBatch([message('stall', 0), message(JSON.stringify(wmsRecord('E-1')), 1)]);
    h.save('wms-fulfillment.yaml', packedAsPicked);
    await h.settle();
    release();
    const outcomes = await first;
    expect(outcomes.map((o) => (o.type === 'event' ? [o.configVersion, o.event.kind === 'wms' ? o.event.event_type : null] : o.type))).toEqual([
      [v1, 'PACKED'],
      [v1, 'PACKED'],
    ]);
    const second = await ingestor.ingestBatch([message(JSON.stringify(wmsRecord('E-2')), 2)]);
    expect(second[0]).toMatchObject({ type: 'event', configVersion: h.live.active.version, event: { event_type: 'PICKED' } });
    expect(h.live.active.version).not.toBe(v1);
  });
});

function wmsRecord(eventId: string): Record<string, unknown> {
  return {
    event_id: eventId,
    event_type: 'PACKED',
    occurred_at: 1_700_000_000_000,
    warehouse_id: 'WH-1',
    fulfillment_id: 'F-1',
    external_order_no: 'SO-1',
    carrier_code: null,
    tracking_no: null,
    reason: null,
    store_id: null,
  };
}
