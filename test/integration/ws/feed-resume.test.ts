import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeletedMessage, DeltaMessage, ServerMessage, SnapshotMessage } from '../../../src/api/ws/index.js';
import { startFeedServer, TOKENS, type FeedServer } from './support/feed-server.js';
import { connectFeed, OrderModel, type FeedTestClient } from './support/feed-client.js';
import { newOrder, orderDelete, orderUpdate, wmsEvent } from './support/orders.js';

const HISTORY = 16;

/** The messages answering a subscribe: from `subscribed` up to the pong of a ping sent right after it. */
async function subscribeAndSettle(client: FeedTestClient, message: Record<string, unknown>): Promise<ServerMessage[]> {
  const from = client.messages.length;
  client.send(message);
  client.send({ type: 'ping' });
  await client.next((m) => m.type === 'pong', { from });
  const pong = client.messages.findIndex((m, i) => i >= from && m.type === 'pong');
  return client.messages.slice(from, pong);
}

/**
 * A client that reconnects sends the versions it holds and receives exactly what it missed: the
 * missed changes when the history still has them, a fresh snapshot of the order when not.
 */
describe('feed resume', () => {
  let server: FeedServer;
  beforeAll(async () => {
    server = await startFeedServer({ historyPerOrder: HISTORY });
  });
  afterAll(async () => {
    await server.close();
  });

  it('after a disconnect across a burst of changes: contiguous versions, no gap, no duplicate', async () => {
    const ids = ['R-1', 'R-2', 'R-3', 'R-4', 'R-5'];
    server.apply(ids.map((id) => newOrder(id, { customer_id: 'C-R' })));
    const first = await connectFeed(server.url, { token: TOKENS.agent });
    const model = new OrderModel();
    model.applyAll(await subscribeAndSettle(first, { type: 'subscribe', id: 'r', filter: { customer_id: 'C-R' } }), 'r');
    expect([...model.orders.keys()].sort()).toEqual(ids);
    for (let round = 0; round < 3; round++) server.apply(ids.map((id) => wmsEvent(id)));
    await first.next((m) => m.type === 'delta' && m.order_id === 'R-5' && m.version === 4);
    model.applyAll(first.messages.filter((m) => m.type === 'delta'), 'r');
    expect(model.problems).toEqual([]);
    const held = model.versions();
    expect(held).toEqual(Object.fromEntries(ids.map((id) => [id, 4])));
    await first.close();

    // The burst while the client is away: 10 changes per order in separate batches, a new order,
    // an order that moves to another customer, one that is deleted.
    for (let round = 0; round < 10; round++) server.apply(ids.slice(0, 3).map((id) => wmsEvent(id)));
    server.apply([newOrder('R-6', { customer_id: 'C-R' })]);
    server.apply([orderUpdate('R-4', 2, { customer_id: 'C-Z' })]);
    server.apply([orderDelete('R-5')]);
    expect(server.store.get('R-1')!.version).toBe(14);

    const second = await connectFeed(server.url, { token: TOKENS.agent });
    const answer = await subscribeAndSettle(second, { type: 'subscribe', id: 'r', filter: { customer_id: 'C-R' }, versions: held });
    const snapshot = answer.find((m): m is SnapshotMessage => m.type === 'snapshot')!;
    expect(snapshot.orders.map((o) => o.order_id)).toEqual(['R-6']);
    expect(answer.filter((m) => m.type === 'snapshot')).toHaveLength(1);
    for (const id of ['R-1', 'R-2', 'R-3']) {
      const steps = answer.filter((m): m is DeltaMessage => m.type === 'delta' && m.order_id === id);
      expect(steps[0]!.from_version, id).toBe(4);
      expect(steps.at(-1)!.version, id).toBe(14);
      steps.slice(1).forEach((s, i) => expect(s.from_version).toBe(steps[i]!.version));
    }
    const moved = answer.filter((m): m is DeltaMessage => m.type === 'delta' && m.order_id === 'R-4');
    expect(moved).toHaveLength(1);
    expect(moved[0]).toMatchObject({ from_version: 4, version: 5, removed: true });
    expect(answer.filter((m): m is DeletedMessage => m.type === 'deleted')).toEqual([{ type: 'deleted', id: 'r', order_id: 'R-5', version: 5 }]);

    model.applyAll(answer, 'r');
    expect(model.problems).toEqual([]);
    expect([...model.orders.keys()].sort()).toEqual(['R-1', 'R-2', 'R-3', 'R-6']);
    for (const [id, view] of model.orders) expect(view, id).toEqual(server.store.get(id));

    // Live again: the next change continues from the version the client now holds.
    const from = second.messages.length;
    server.apply([wmsEvent('R-1'), wmsEvent('R-6')]);
    const live = await second.next<DeltaMessage>((m) => m.type === 'delta' && m.order_id === 'R-1', { from });
    expect(live).toMatchObject({ from_version: 14, version: 15 });
    await second.next((m) => m.type === 'delta' && m.order_id === 'R-6', { from });
    model.applyAll(second.messages.slice(from), 'r');
    expect(model.problems).toEqual([]);
    expect(model.orders.get('R-6')).toEqual(server.store.get('R-6'));
    await second.close();
  });

  it('a gap beyond the history gives a fresh snapshot of that order; an up-to-date order gives nothing', async () => {
    server.apply([newOrder('G-1'), newOrder('G-2'), newOrder('G-3')]);
    for (let i = 0; i < HISTORY + 4; i++) server.apply([wmsEvent('G-1')]);
    server.apply([wmsEvent('G-2')]);
    const client = await connectFeed(server.url, { token: TOKENS.agent });
    const answer = await subscribeAndSettle(client, {
      type: 'subscribe',
      id: 'g',
      filter: { order_ids: ['G-1', 'G-2', 'G-3'] },
      versions: { 'G-1': 1, 'G-2': 1, 'G-3': 1 },
    });
    expect(answer.map((m) => m.type)).toEqual(['subscribed', 'snapshot', 'snapshot', 'delta']);
    expect(answer[1]).toEqual({ type: 'snapshot', id: 'g', orders: [] });
    expect(answer[2]).toEqual({ type: 'snapshot', id: 'g', orders: [server.store.get('G-1')], reason: 'gap' });
    expect(answer[3]).toMatchObject({ type: 'delta', order_id: 'G-2', from_version: 1, version: 2 });

    // A version from the future (the client's copy is not ours) is a gap too.
    const future = await subscribeAndSettle(client, { type: 'subscribe', id: 'h', filter: { order_ids: ['G-3'] }, versions: { 'G-3': 99 } });
    expect(future.at(-1)).toEqual({ type: 'snapshot', id: 'h', orders: [server.store.get('G-3')], reason: 'gap' });
    await client.close();
  });
});
