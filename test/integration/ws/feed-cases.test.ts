import { setImmediate as tick } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareCaseUrgency, type CaseMessage, type CaseSnapshotMessage, type ErrorMessage, type ServerMessage, type SnapshotMessage } from '../../../src/api/ws/index.js';
import type { HealthCase } from '../../../src/health/index.js';
import { MINUTE, T0 } from '../../helpers/golden-events.js';
import { startCaseFeedServer, type CaseFeedServer } from './support/case-server.js';
import { connectFeed, refusedStatus, type FeedTestClient } from './support/feed-client.js';
import { TOKENS } from './support/feed-server.js';
import { newOrder, wmsEvent } from './support/orders.js';

/** Paid at T0 + 1 min (the `paid` test orders): paid-not-released is at risk from +37 min, breached from +46 min. */
const AT_RISK = T0 + 40 * MINUTE;
const BREACHED = T0 + 50 * MINUTE;

/** Everything a client receives after `from`, up to the pong answering a ping sent now. */
async function drain(client: FeedTestClient, from = client.messages.length): Promise<ServerMessage[]> {
  const mark = client.messages.length;
  client.send({ type: 'ping' });
  await client.next((m) => m.type === 'pong', { from: mark });
  const pong = client.messages.findIndex((m, i) => i >= mark && m.type === 'pong');
  return client.messages.slice(from, pong);
}

const isCase = (id: string, caseId?: string) => (m: ServerMessage) => m.type === 'case' && m.id === id && (caseId === undefined || m.case_id === caseId);

/** What a client holds after applying one cases subscription's messages; checks that nothing comes twice or out of step. */
class CaseModel {
  readonly cases = new Map<string, HealthCase>();
  readonly problems: string[] = [];
  apply(message: ServerMessage): void {
    if (message.type === 'case_snapshot') for (const held of message.cases) this.cases.set(held.case_id, held);
    if (message.type !== 'case') return;
    const mine = this.cases.get(message.case_id);
    if (mine !== undefined && mine.version !== message.from_version) this.problems.push(`${message.case_id}: from ${message.from_version}, held at ${mine.version}`);
    if (mine !== undefined && !message.removed && message.version <= mine.version) this.problems.push(`${message.case_id}: ${message.version} again`);
    if (message.removed) this.cases.delete(message.case_id);
    else this.cases.set(message.case_id, message.case);
  }
  applyAll(messages: readonly ServerMessage[], id: string): this {
    for (const m of messages) if ('id' in m && m.id === id) this.apply(m);
    return this;
  }
  versions(): Record<string, number> {
    return Object.fromEntries([...this.cases].map(([caseId, held]) => [caseId, held.version]));
  }
}

const active = (server: CaseFeedServer) => new Map(server.engine.cases().filter((c) => c.status !== 'resolved').map((c) => [c.case_id, c]));
const caseOf = (server: CaseFeedServer, orderId: string) => {
  const [held] = server.engine.casesOfOrder(orderId);
  if (held === undefined) throw new Error(`no case for ${orderId}`);
  return held;
};

describe('feed: the cases stream, backed by a real health engine', () => {
  let server: CaseFeedServer;
  let client: FeedTestClient;
  beforeAll(async () => {
    server = await startCaseFeedServer({ feedOptions: { pingIntervalMs: 600_000 } });
    client = await connectFeed(server.url, { token: TOKENS.agent });
  });
  afterAll(async () => {
    await client.close();
    await server.close();
  });

  it('subscribed → case_snapshot (most urgent first) → every change as a whole case → one removed when resolved', async () => {
    server.apply([newOrder('A-1', { paid: true }), newOrder('A-2', { paid: true })], AT_RISK);
    server.apply([newOrder('A-3'), wmsEvent('A-3', 'SHORT_PICKED', T0 + 10 * MINUTE)]);
    const from = client.messages.length;
    client.send({ type: 'subscribe', id: 'queue', stream: 'cases' });
    expect(await client.next((m) => m.type === 'subscribed', { from })).toEqual({ type: 'subscribed', id: 'queue' });
    const snapshot = await client.next<CaseSnapshotMessage>((m) => m.type === 'case_snapshot' && m.id === 'queue', { from });
    expect(snapshot.truncated).toBeUndefined();
    expect(snapshot.cases).toEqual([...active(server).values()].sort(compareCaseUrgency));
    // Critical before warning even though the warning is older; equal severity and age: by case id.
    expect(snapshot.cases.map((c) => c.case_id)).toEqual([...['A-1', 'A-2'].map((id) => caseOf(server, id).case_id).sort(), caseOf(server, 'A-3').case_id]);
    expect(snapshot.cases.map((c) => c.severity)).toEqual(['critical', 'critical', 'warning']);

    const a1 = caseOf(server, 'A-1').case_id;
    server.advance(BREACHED);
    const breached = await client.next<CaseMessage>(isCase('queue', a1), { from });
    expect(breached).toMatchObject({ from_version: 1, version: 2, case: { status: 'open', breached_at: expect.any(String) } });
    expect(breached.case).toEqual(server.engine.get(a1));
    expect(breached.removed).toBeUndefined();

    server.act(a1, { type: 'acknowledge', by: 'agent-li', at: BREACHED + MINUTE });
    const acknowledged = await client.next<CaseMessage>((m) => isCase('queue', a1)(m) && (m as CaseMessage).version === 3, { from });
    expect(acknowledged).toMatchObject({ from_version: 2, case: { status: 'acknowledged', history: expect.arrayContaining([expect.objectContaining({ by: 'agent-li', action: 'acknowledged' })]) } });

    server.apply([wmsEvent('A-1', 'RELEASED', BREACHED + 2 * MINUTE)]);
    const healed = await client.next<CaseMessage>((m) => isCase('queue', a1)(m) && (m as CaseMessage).removed === true, { from });
    expect(healed).toMatchObject({ from_version: 3, version: 4, case: { status: 'resolved', resolution: 'self_healed' } });

    // A comment on the resolved case is a change, but outside an active-only filter: nothing more about it.
    server.act(a1, { type: 'comment', by: 'agent-li', at: BREACHED + 3 * MINUTE, text: 'released by hand' });
    expect(server.engine.get(a1)?.version).toBe(5);
    const all = await drain(client, from);
    expect(all.filter(isCase('queue', a1)).map((m) => (m as CaseMessage).version)).toEqual([2, 3, 4]);

    const model = new CaseModel().applyAll(all, 'queue');
    expect(model.problems).toEqual([]);
    expect(model.cases).toEqual(active(server));
  });

  it('filters by queue, severity, rule and status; status all keeps resolved cases', async () => {
    const from = client.messages.length;
    client.send({ type: 'subscribe', id: 'care', stream: 'cases', filter: { queue: ['customer-care'] } });
    client.send({ type: 'subscribe', id: 'crit', stream: 'cases', filter: { severity: ['critical'], rule: ['paid-not-released'] } });
    client.send({ type: 'subscribe', id: 'all', stream: 'cases', filter: { status: 'all' } });
    client.send({ type: 'subscribe', id: 'none', stream: 'cases', filter: { severity: ['info'] } });
    const snapshots: Record<string, string[]> = {};
    for (const id of ['care', 'crit', 'all', 'none']) {
      const s = await client.next<CaseSnapshotMessage>((m) => m.type === 'case_snapshot' && m.id === id, { from });
      snapshots[id] = s.cases.map((c) => `${c.order_id}:${c.status}`).sort();
    }
    expect(snapshots).toEqual({
      care: ['A-3:open'],
      crit: ['A-2:open'],
      all: ['A-1:resolved', 'A-2:open', 'A-3:open'],
      none: [],
    });

    const a2 = caseOf(server, 'A-2').case_id;
    server.apply([wmsEvent('A-2', 'RELEASED', BREACHED + 5 * MINUTE)]);
    const left = await client.next<CaseMessage>(isCase('crit', a2), { from });
    expect(left).toMatchObject({ removed: true, case: { status: 'resolved' } });
    const kept = await client.next<CaseMessage>(isCase('all', a2), { from });
    expect(kept.removed).toBeUndefined();
    expect(kept.case).toEqual(server.engine.get(a2));
    const seen = await drain(client, from);
    expect(seen.some((m) => m.type === 'case' && (m.id === 'care' || m.id === 'none'))).toBe(false);

    for (const id of ['care', 'crit', 'all', 'none']) client.send({ type: 'unsubscribe', id });
    for (const id of ['care', 'crit', 'all', 'none']) await client.next((m) => m.type === 'unsubscribed' && m.id === id, { from });
    server.apply([newOrder('A-4'), wmsEvent('A-4', 'SHORT_PICKED', T0 + 12 * MINUTE)]);
    const after = await drain(client);
    expect(after.some((m) => m.type === 'case' && m.id !== 'queue')).toBe(false);
    expect(after.filter((m) => m.type === 'case' && m.id === 'queue')).toHaveLength(1);
  });

  it('resumes from versions: only what changed, removed for what left, a snapshot of only the new cases; then live again', async () => {
    server.apply(['R-1', 'R-2', 'R-3'].map((id) => newOrder(id, { paid: true })), AT_RISK);
    server.apply([newOrder('R-4'), wmsEvent('R-4', 'SHORT_PICKED', T0 + 10 * MINUTE)]);
    const first = await connectFeed(server.url, { token: TOKENS.service });
    const filter = { queue: ['fulfillment-ops', 'customer-care'] };
    first.send({ type: 'subscribe', id: 'r', stream: 'cases', filter });
    await first.next((m) => m.type === 'case_snapshot');
    const model = new CaseModel().applyAll(await drain(first, 0), 'r');
    expect(model.cases).toEqual(active(server));
    const held = model.versions();
    await first.close();

    // While away (event time is already past their breach): R-1 is acknowledged, R-2 heals, R-3 is
    // resolved by an agent, R-4 stays as it was, a new case opens.
    const [r1, r2, r3, r4] = ['R-1', 'R-2', 'R-3', 'R-4'].map((id) => caseOf(server, id).case_id) as [string, string, string, string];
    server.apply([wmsEvent('R-2', 'RELEASED', T0 + 41 * MINUTE)]);
    server.advance(BREACHED);
    server.act(r1, { type: 'acknowledge', by: 'agent-wu', at: BREACHED });
    server.act(r3, { type: 'resolve', by: 'agent-wu', at: BREACHED, note: 'cancelled by phone' });
    server.apply([newOrder('R-5'), wmsEvent('R-5', 'SHORT_PICKED', T0 + 11 * MINUTE)]);
    const r5 = caseOf(server, 'R-5').case_id;
    const unchanged = Object.keys(held).filter((caseId) => server.engine.get(caseId)?.version === held[caseId]);
    expect(unchanged).toContain(r4);

    const second = await connectFeed(server.url, { token: TOKENS.service });
    second.send({ type: 'subscribe', id: 'r', stream: 'cases', filter, versions: held });
    const answer = await drain(second, 0);
    const snapshot = answer.find((m): m is CaseSnapshotMessage => m.type === 'case_snapshot')!;
    expect(snapshot.cases.map((c) => c.case_id)).toEqual([r5]);
    const byCase = new Map(answer.filter((m): m is CaseMessage => m.type === 'case').map((m) => [m.case_id, m]));
    expect([...byCase.keys()].sort()).toEqual([r1, r2, r3].sort());
    expect(byCase.get(r1)).toMatchObject({ from_version: held[r1], version: held[r1]! + 1, case: { status: 'acknowledged' } });
    expect(byCase.get(r1)!.removed).toBeUndefined();
    expect(byCase.get(r2)).toMatchObject({ from_version: held[r2], version: held[r2]! + 1, removed: true, case: { resolution: 'self_healed' } });
    expect(byCase.get(r3)).toMatchObject({ from_version: held[r3], version: held[r3]! + 1, removed: true, case: { resolution: 'by_agent' } });
    expect(answer.filter((m) => m.type === 'case')).toHaveLength(3);
    model.applyAll(answer, 'r');
    expect(model.problems).toEqual([]);
    expect(model.cases).toEqual(active(server));

    const from = second.messages.length;
    server.act(r1, { type: 'assign', by: 'agent-wu', at: BREACHED + MINUTE, assignee: 'agent-zhao' });
    const live = await second.next<CaseMessage>(isCase('r', r1), { from });
    expect(live).toMatchObject({ from_version: held[r1]! + 1, version: held[r1]! + 2, case: { assignee: 'agent-zhao' } });
    await second.close();
  });

  it('caps the snapshot at maxSnapshotCases, keeping the most urgent', async () => {
    const small = await startCaseFeedServer({ feedOptions: { maxSnapshotCases: 2 } });
    const c = await connectFeed(small.url, { token: TOKENS.admin });
    try {
      small.apply([newOrder('T-1'), wmsEvent('T-1', 'SHORT_PICKED', T0 + 5 * MINUTE), newOrder('T-2', { paid: true }), newOrder('T-3', { paid: true })], AT_RISK);
      c.send({ type: 'subscribe', id: 't', stream: 'cases' });
      const snapshot = await c.next<CaseSnapshotMessage>((m) => m.type === 'case_snapshot');
      expect(snapshot.truncated).toBe(true);
      expect(snapshot.cases.map((held) => held.severity)).toEqual(['critical', 'critical']);
      expect(snapshot.cases).toEqual(small.engine.cases().sort(compareCaseUrgency).slice(0, 2));
    } finally {
      await c.close();
      await small.close();
    }
  });

  it('refuses bad cases subscribes with an error frame and keeps the connection; the order stream is unchanged', async () => {
    const from = client.messages.length;
    client.send({ type: 'subscribe', id: 'bad-1', stream: 'cases', filter: { severity: ['urgent'] } });
    client.send({ type: 'subscribe', id: 'bad-2', stream: 'cases', filter: { order_ids: ['A-1'] } });
    client.send({ type: 'subscribe', id: 'bad-3', stream: 'cases', filter: { status: 'resolved' } });
    client.send({ type: 'subscribe', id: 'bad-4', stream: 'tickets' });
    for (const id of ['bad-1', 'bad-2', 'bad-3', 'bad-4']) {
      const error = await client.next<ErrorMessage>((m) => m.type === 'error' && m.id === id, { from });
      expect(error.code, id).toBe('OL_ERR_WS_BAD_REQUEST');
    }
    client.send({ type: 'subscribe', id: 'queue', stream: 'cases' });
    expect(await client.next<ErrorMessage>((m) => m.type === 'error' && m.id === 'queue', { from })).toMatchObject({ code: 'OL_ERR_WS_SUBSCRIPTION' });

    client.send({ type: 'subscribe', id: 'orders', stream: 'orders', filter: { order_ids: ['A-1'] } });
    const orders = await client.next<SnapshotMessage>((m) => m.type === 'snapshot' && m.id === 'orders', { from });
    expect(orders.orders).toEqual([server.store.get('A-1')]);
    expect(client.socket.readyState).toBe(client.socket.OPEN);
  });

  it('opens with the order feed roles: analyst is refused before the upgrade', async () => {
    expect((await refusedStatus(`${server.url}?access_token=${TOKENS.analyst}`)).status).toBe(403);
  });
});

describe('feed: a worker without the cases stream', () => {
  it('answers a cases subscribe with OL_ERR_WS_SUBSCRIPTION and goes on serving orders', async () => {
    const server = await startCaseFeedServer({ withCases: false });
    const client = await connectFeed(server.url, { token: TOKENS.agent });
    try {
      server.apply([newOrder('N-1')]);
      client.send({ type: 'subscribe', id: 'q', stream: 'cases' });
      const error = await client.next<ErrorMessage>((m) => m.type === 'error');
      expect(error).toMatchObject({ type: 'error', id: 'q', code: 'OL_ERR_WS_SUBSCRIPTION' });
      expect(error.message).toMatch(/cases stream is not served/);
      client.send({ type: 'subscribe', id: 'q', filter: {} });
      const snapshot = await client.next<SnapshotMessage>((m) => m.type === 'snapshot');
      expect(snapshot.orders.map((o) => o.order_id)).toEqual(['N-1']);
    } finally {
      await client.close();
      await server.close();
    }
  });
});

describe('feed: cases on a slow connection', () => {
  const KiB = 1024;
  /** New short-pick cases, `count` of them in one batch: each is one more message for a cases subscriber. */
  let created = 0;
  const newCases = (server: CaseFeedServer, count: number) =>
    server.apply(Array.from({ length: count }, () => `F-${++created}`).flatMap((id) => [newOrder(id), wmsEvent(id, 'SHORT_PICKED', T0 + 6 * MINUTE)]));

  it('coalesces the changes of a case while the client does not read: one case message, contiguous', async () => {
    const server = await startCaseFeedServer({ ownHub: true, feedOptions: { maxQueuedMessages: 50_000, highWaterMarkBytes: 16 * KiB, stuckTimeoutMs: 600_000, pingIntervalMs: 600_000 } });
    const hub = server.hub!;
    const client = await connectFeed(server.url, { token: TOKENS.service });
    try {
      server.apply([newOrder('W-1'), wmsEvent('W-1', 'SHORT_PICKED', T0 + 5 * MINUTE)]);
      const watched = caseOf(server, 'W-1');
      client.send({ type: 'subscribe', id: 'w', stream: 'cases', filter: { rule: ['short-pick'] } });
      await client.next((m) => m.type === 'case_snapshot');
      client.socket.pause();

      // Held back with a margin: what is queued ahead of the watched case cannot slip into the kernel's buffers at once.
      while (hub.stats().queued < 500) {
        if (created >= 60_000) throw new Error(`the socket never filled; stats ${JSON.stringify(hub.stats())}`);
        newCases(server, 50);
        await tick();
      }
      const queuedBefore = hub.stats().queued;
      const comments = 1_000;
      for (let i = 1; i <= comments; i++) {
        server.act(watched.case_id, { type: 'comment', by: 'agent', at: T0 + 2 * HOUR + i, text: `note ${i}` });
        if (i % 100 === 0) await tick();
        expect(hub.stats().queued).toBeLessThanOrEqual(queuedBefore + 1);
      }
      expect(hub.stats().connections).toBe(1);

      client.socket.resume();
      const settled = await drain(client, 0);
      const about = settled.filter(isCase('w', watched.case_id)) as CaseMessage[];
      expect(about.length).toBeGreaterThanOrEqual(1);
      expect(about.length).toBeLessThanOrEqual(2);
      expect(about[0]!.from_version).toBe(watched.version);
      about.slice(1).forEach((m, i) => expect(m.from_version).toBe(about[i]!.version));
      expect(about.at(-1)).toMatchObject({ version: watched.version + comments, case: server.engine.get(watched.case_id) });
      const model = new CaseModel().applyAll(settled, 'w');
      expect(model.problems).toEqual([]);
      expect(model.cases).toEqual(active(server));
      console.log(`[ws cases flow control] ${comments} changes of one case reached the paused client as ${about.length} message(s) (socket filled by ${created} new cases)`);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('keeps the queue of a client that stopped reading bounded, then closes it with 4008', async () => {
    const limit = 200;
    const server = await startCaseFeedServer({ ownHub: true, feedOptions: { maxQueuedMessages: limit, highWaterMarkBytes: 16 * KiB, stuckTimeoutMs: 600_000, pingIntervalMs: 600_000 } });
    const hub = server.hub!;
    const client = await connectFeed(server.url, { token: TOKENS.agent });
    try {
      client.send({ type: 'subscribe', id: 'all', stream: 'cases', filter: { status: 'all' } });
      await client.next((m) => m.type === 'case_snapshot');
      client.socket.pause();
      let peak = 0;
      const start = created;
      while (hub.stats().closing === 0) {
        if (created - start >= 60_000) throw new Error(`no 4008 after ${created - start} new cases; stats ${JSON.stringify(hub.stats())}`);
        newCases(server, 50);
        await tick();
        peak = Math.max(peak, hub.stats().maxQueued);
        expect(hub.stats().maxQueued).toBeLessThanOrEqual(limit);
      }
      expect(hub.stats().queued).toBe(0);
      client.socket.resume();
      const closed = await client.closed;
      expect(closed.code).toBe(4008);
      expect(closed.reason).toMatch(/slow consumer/);
      console.log(`[ws cases flow control] stuck client closed after ${created - start} new cases; queue peak ${peak} (limit ${limit})`);
    } finally {
      await client.close();
      await server.close();
    }
  });
});

const HOUR = 60 * MINUTE;
