import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeltaMessage, ErrorMessage, ServerMessage, SnapshotMessage } from '../../../src/api/ws/index.js';
import { GOLDEN_BODY_FIELDS } from '../../../src/golden/index.js';
import { startFeedServer, TOKENS, type FeedServer } from './support/feed-server.js';
import { connectFeed, OrderModel, type FeedTestClient } from './support/feed-client.js';
import { newOrder, orderUpdate, wmsEvent } from './support/orders.js';

const isDelta = (id: string, orderId?: string) => (m: ServerMessage) =>
  m.type === 'delta' && m.id === id && (orderId === undefined || m.order_id === orderId);

/** Everything a client receives after `from`, up to and including the pong answering a ping sent now. */
async function drain(client: FeedTestClient): Promise<ServerMessage[]> {
  const from = client.messages.length;
  client.send({ type: 'ping' });
  await client.next((m) => m.type === 'pong', { from });
  return client.messages.slice(from, client.messages.findIndex((m, i) => i >= from && m.type === 'pong'));
}

describe('feed subscriptions', () => {
  let server: FeedServer;
  let client: FeedTestClient;
  beforeAll(async () => {
    server = await startFeedServer({ maxMessageBytes: 4096 });
    client = await connectFeed(server.url, { token: TOKENS.agent });
  });
  afterAll(async () => {
    await client.close();
    await server.close();
  });

  it('subscribe → subscribed → snapshot → deltas as the orders change', async () => {
    server.apply([newOrder('S-1'), newOrder('S-2')]);
    const from = client.messages.length;
    client.send({ type: 'subscribe', id: 'one', filter: { order_ids: ['S-1', 'S-3'] } });
    expect(await client.next((m) => m.type === 'subscribed', { from })).toEqual({ type: 'subscribed', id: 'one' });
    const snapshot = await client.next<SnapshotMessage>((m) => m.type === 'snapshot' && m.id === 'one', { from });
    expect(snapshot.orders).toEqual([server.store.get('S-1')]);
    expect(snapshot.truncated).toBeUndefined();

    server.apply([wmsEvent('S-1', 'RELEASED')]);
    const delta = await client.next<DeltaMessage>(isDelta('one', 'S-1'), { from });
    expect(delta).toMatchObject({ from_version: 1, version: 2 });
    expect(delta.fields).toMatchObject({ status: 'RELEASED', updated_at: server.store.get('S-1')!.updated_at });
    expect(Object.keys(delta.fields).sort()).toEqual(['fulfillments', 'released_at', 'sources', 'status', 'updated_at']);

    server.apply([newOrder('S-3'), wmsEvent('S-2')]);
    const entering = await client.next<DeltaMessage>(isDelta('one', 'S-3'), { from });
    expect(entering).toMatchObject({ from_version: 0, version: 1 });
    expect(Object.keys(entering.fields).sort()).toEqual([...GOLDEN_BODY_FIELDS, 'updated_at'].sort());

    const model = new OrderModel();
    model.applyAll(await drain(client).then(() => client.messages.slice(from)), 'one');
    expect(model.problems).toEqual([]);
    expect(model.orders.get('S-1')).toEqual(server.store.get('S-1'));
    expect(model.orders.get('S-3')).toEqual(server.store.get('S-3'));
    expect(model.orders.has('S-2')).toBe(false);
    expect(client.messages.slice(from).some((m) => m.type === 'delta' && m.order_id === 'S-2')).toBe(false);

    const latency = await server.metrics.pushLatencySource.get();
    expect(latency.values.find((v) => v.metricName?.endsWith('_count'))?.value).toBeGreaterThanOrEqual(2);
    const kafkaLatency = await server.metrics.pushLatencyKafka.get();
    expect(kafkaLatency.values.find((v) => v.metricName?.endsWith('_count'))?.value).toBeGreaterThanOrEqual(2);
  });

  it('a status filter: an order enters with every field and leaves with one removed delta', async () => {
    server.apply([newOrder('P-1', { customer_id: 'C-P' }), newOrder('P-2', { customer_id: 'C-P', paid: true })]);
    const from = client.messages.length;
    client.send({ type: 'subscribe', id: 'paid', filter: { customer_id: 'C-P', status: ['PAID'] } });
    const snapshot = await client.next<SnapshotMessage>((m) => m.type === 'snapshot' && m.id === 'paid', { from });
    expect(snapshot.orders.map((o) => o.order_id)).toEqual(['P-2']);

    server.apply([orderUpdate('P-1', 2, { paid: true, customer_id: 'C-P' })]);
    const entered = await client.next<DeltaMessage>(isDelta('paid', 'P-1'), { from });
    expect(entered).toMatchObject({ from_version: 1, version: 2 });
    expect(entered.removed).toBeUndefined();
    expect(entered.fields).toMatchObject({ order_id: 'P-1', status: 'PAID', customer: { id: 'C-P' } });

    server.apply([wmsEvent('P-1', 'RELEASED')]);
    const left = await client.next<DeltaMessage>((m) => isDelta('paid', 'P-1')(m) && (m as DeltaMessage).version === 3, { from });
    expect(left).toMatchObject({ from_version: 2, removed: true, fields: { status: 'RELEASED' } });

    server.apply([wmsEvent('P-1', 'PICK_STARTED')]);
    server.apply([wmsEvent('P-2', 'RELEASED')]);
    await client.next((m) => isDelta('paid', 'P-2')(m) && (m as DeltaMessage).removed === true, { from });
    const aboutP1 = client.messages.slice(from).filter((m) => m.type === 'delta' && m.order_id === 'P-1');
    expect(aboutP1.map((m) => (m as DeltaMessage).version)).toEqual([2, 3]);
  });

  it('has_exception and customer filters', async () => {
    server.apply([newOrder('X-1', { customer_id: 'C-X' }), newOrder('X-2', { customer_id: 'C-X' }), newOrder('Y-1', { customer_id: 'C-Y', channel: 'APP' })]);
    const from = client.messages.length;
    client.send({ type: 'subscribe', id: 'exc', filter: { customer_id: 'C-X', has_exception: true } });
    client.send({ type: 'subscribe', id: 'calm', filter: { customer_id: 'C-X', has_exception: false } });
    client.send({ type: 'subscribe', id: 'cust', filter: { customer_id: 'C-Y' } });
    client.send({ type: 'subscribe', id: 'chan', filter: { channel: 'APP', customer_id: 'C-Y' } });
    const snapshots = new Map<string | number, string[]>();
    for (const id of ['exc', 'calm', 'cust', 'chan']) {
      const s = await client.next<SnapshotMessage>((m) => m.type === 'snapshot' && m.id === id, { from });
      snapshots.set(id, s.orders.map((o) => o.order_id).sort());
    }
    expect(Object.fromEntries(snapshots)).toEqual({ exc: [], calm: ['X-1', 'X-2'], cust: ['Y-1'], chan: ['Y-1'] });

    server.apply([wmsEvent('X-1', 'SHORT_PICKED')]);
    const entered = await client.next<DeltaMessage>(isDelta('exc', 'X-1'), { from });
    expect(entered.fields).toMatchObject({ exceptions: ['SHORT_PICK'], order_id: 'X-1' });
    const left = await client.next<DeltaMessage>(isDelta('calm', 'X-1'), { from });
    expect(left.removed).toBe(true);

    server.apply([wmsEvent('Y-1')]);
    await client.next(isDelta('cust', 'Y-1'), { from });
    await client.next(isDelta('chan', 'Y-1'), { from });
    const seen = await drain(client);
    expect(seen.some((m) => m.type === 'delta' && (m.id === 'exc' || m.id === 'calm') && m.order_id === 'Y-1')).toBe(false);
    for (const id of ['exc', 'calm', 'cust', 'chan']) client.send({ type: 'unsubscribe', id });
    for (const id of ['exc', 'calm', 'cust', 'chan']) await client.next((m) => m.type === 'unsubscribed' && m.id === id, { from });
  });

  it('several subscriptions on one connection; unsubscribe stops one of them', async () => {
    server.apply([newOrder('U-1'), newOrder('U-2')]);
    const from = client.messages.length;
    client.send({ type: 'subscribe', id: 'a', filter: { order_ids: ['U-1'] } });
    client.send({ type: 'subscribe', id: 7, filter: { order_ids: ['U-1', 'U-2'] } });
    await client.next((m) => m.type === 'snapshot' && m.id === 7, { from });

    server.apply([wmsEvent('U-1')]);
    await client.next(isDelta('a', 'U-1'), { from });
    await client.next((m) => m.type === 'delta' && m.id === 7 && m.order_id === 'U-1', { from });

    client.send({ type: 'unsubscribe', id: 'a' });
    await client.next((m) => m.type === 'unsubscribed' && m.id === 'a', { from });
    const after = client.messages.length;
    server.apply([wmsEvent('U-1'), wmsEvent('U-2')]);
    await client.next((m) => m.type === 'delta' && m.id === 7 && m.order_id === 'U-2', { from: after });
    await client.next((m) => m.type === 'delta' && m.id === 7 && m.order_id === 'U-1', { from: after });
    const tail = await drain(client);
    expect([...client.messages.slice(after), ...tail].filter((m) => m.type === 'delta' && m.id === 'a')).toEqual([]);

    client.send({ type: 'unsubscribe', id: 'a' });
    client.send({ type: 'subscribe', id: 7, filter: {} });
    const errors = (await drain(client)).filter((m): m is ErrorMessage => m.type === 'error');
    expect(errors.map((e) => [e.code, e.id])).toEqual([
      ['OL_ERR_WS_SUBSCRIPTION', 'a'],
      ['OL_ERR_WS_SUBSCRIPTION', 7],
    ]);
    client.send({ type: 'unsubscribe', id: 7 });
    await client.next((m) => m.type === 'unsubscribed' && m.id === 7, { from });
  });

  it('answers malformed, unknown, invalid and oversized messages with an error frame and keeps the connection', async () => {
    const cases: Array<[string, string]> = [
      ['{not json', 'OL_ERR_WS_MALFORMED'],
      ['[1,2]', 'OL_ERR_WS_MALFORMED'],
      [JSON.stringify({ type: 'launch' }), 'OL_ERR_WS_UNKNOWN_TYPE'],
      [JSON.stringify({ hello: 1 }), 'OL_ERR_WS_UNKNOWN_TYPE'],
      [JSON.stringify({ type: 'subscribe', id: 'f', filter: { status: 'PAID' } }), 'OL_ERR_WS_BAD_REQUEST'],
      [JSON.stringify({ type: 'subscribe', id: 'f', filter: { colour: 'red' } }), 'OL_ERR_WS_BAD_REQUEST'],
      [JSON.stringify({ type: 'subscribe', filter: {} }), 'OL_ERR_WS_BAD_REQUEST'],
      [JSON.stringify({ type: 'subscribe', id: 'f', filter: {}, versions: { 'S-1': -1 } }), 'OL_ERR_WS_BAD_REQUEST'],
      [JSON.stringify({ type: 'subscribe', id: 'f', filter: { order_ids: ['x'.repeat(5000)] } }), 'OL_ERR_WS_TOO_LARGE'],
    ];
    for (const [text, code] of cases) {
      const from = client.messages.length;
      client.send(text);
      const error = await client.next<ErrorMessage>((m) => m.type === 'error', { from });
      expect(error.code, text.slice(0, 80)).toBe(code);
      expect(error.message.length).toBeGreaterThan(0);
    }
    const bad = client.messages.filter((m): m is ErrorMessage => m.type === 'error' && m.code === 'OL_ERR_WS_BAD_REQUEST');
    expect(bad[0]!.message).toMatch(/filter\.status/);
    expect(bad[0]!.id).toBe('f');

    expect(client.socket.readyState).toBe(client.socket.OPEN);
    const from = client.messages.length;
    client.send({ type: 'subscribe', id: 'after', filter: { order_ids: ['S-1'] } });
    const snapshot = await client.next<SnapshotMessage>((m) => m.type === 'snapshot' && m.id === 'after', { from });
    expect(snapshot.orders).toHaveLength(1);
  });
});

describe('feed snapshot cap', () => {
  it('caps a snapshot at maxSnapshotOrders, newest first, says so, and still sends whole orders it left out', async () => {
    const server = await startFeedServer({ maxSnapshotOrders: 3 });
    const client = await connectFeed(server.url, { token: TOKENS.service, via: 'header' });
    try {
      for (let i = 1; i <= 6; i++) server.apply([newOrder(`T-${i}`)]);
      server.apply([wmsEvent('T-2')]);
      const from = client.messages.length;
      client.send({ type: 'subscribe', id: 'all', filter: {} });
      const snapshot = await client.next<SnapshotMessage>((m) => m.type === 'snapshot', { from });
      expect(snapshot.truncated).toBe(true);
      expect(snapshot.orders).toHaveLength(3);
      expect(snapshot.orders[0]!.order_id).toBe('T-2');
      const held = new Set(snapshot.orders.map((o) => o.order_id));
      const missing = ['T-1', 'T-3', 'T-4', 'T-5', 'T-6'].find((id) => !held.has(id))!;
      const kept = snapshot.orders[1]!.order_id;

      server.apply([wmsEvent(missing), wmsEvent(kept)]);
      const full = await client.next<DeltaMessage>(isDelta('all', missing), { from });
      expect(Object.keys(full.fields).sort()).toEqual([...GOLDEN_BODY_FIELDS, 'updated_at'].sort());
      const partial = await client.next<DeltaMessage>(isDelta('all', kept), { from });
      expect(Object.keys(partial.fields).length).toBeLessThan(GOLDEN_BODY_FIELDS.length);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
