import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { DeltaMessage, SnapshotMessage } from '../../../src/api/ws/index.js';
import { waitFor } from '../../helpers/kafka-topics.js';
import { startFeedServer, TOKENS } from './support/feed-server.js';
import { connectFeed, OrderModel } from './support/feed-client.js';
import { newOrder, wmsEvent } from './support/orders.js';

const KiB = 1024;

/**
 * Slow consumers: a client that stops reading costs bounded memory — deltas of one order coalesce,
 * the queue is capped — and is closed with 4008 when it stays stuck.
 */
describe('feed flow control', () => {
  it('keeps the queue of a client that stopped reading bounded, then closes it with 4008', async () => {
    const limit = 300;
    const server = await startFeedServer({ maxQueuedMessages: limit, highWaterMarkBytes: 32 * KiB, stuckTimeoutMs: 600_000, pingIntervalMs: 600_000 });
    const client = await connectFeed(server.url, { token: TOKENS.service });
    try {
      client.send({ type: 'subscribe', id: 'all', filter: {} });
      await client.next((m) => m.type === 'snapshot');
      client.socket.pause();

      let created = 0;
      let peak = 0;
      while (server.hub.stats().closing === 0) {
        if (created >= 60_000) throw new Error(`no 4008 after ${created} new orders; stats ${JSON.stringify(server.hub.stats())}`);
        server.apply(Array.from({ length: 100 }, () => newOrder(`SLOW-${++created}`)));
        await tick();
        peak = Math.max(peak, server.hub.stats().maxQueued);
        expect(server.hub.stats().maxQueued).toBeLessThanOrEqual(limit);
      }
      console.log(`[ws flow control] stuck client closed after ${created} changes; queue peak ${peak} (limit ${limit})`);
      expect(peak).toBeGreaterThan(0);
      expect(server.hub.stats().queued).toBe(0);

      client.socket.resume();
      const closed = await client.closed;
      expect(closed.code).toBe(4008);
      expect(closed.reason).toMatch(/slow consumer/);
      await waitFor(() => server.hub.stats().connections === 0, { timeoutMs: 10_000, describe: 'the server to drop the connection' });
      expect((await server.metrics.wsClients.get()).values[0]?.value).toBe(0);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('coalesces the deltas of a paused client per order and delivers a contiguous chain when it reads again', async () => {
    const server = await startFeedServer({ maxQueuedMessages: 50_000, highWaterMarkBytes: 32 * KiB, stuckTimeoutMs: 600_000, pingIntervalMs: 600_000 });
    const client = await connectFeed(server.url, { token: TOKENS.service });
    try {
      const watched = ['W-1', 'W-2', 'W-3', 'W-4', 'W-5'];
      server.apply(watched.map((id) => newOrder(id)));
      client.send({ type: 'subscribe', id: 'w', filter: { order_ids: watched } });
      client.send({ type: 'subscribe', id: 'fill', filter: { channel: 'FILL' } });
      const snapshot = await client.next<SnapshotMessage>((m) => m.type === 'snapshot' && m.id === 'w');
      await client.next((m) => m.type === 'snapshot' && m.id === 'fill');
      const model = new OrderModel();
      model.apply(snapshot);
      client.socket.pause();

      // Fill the socket (kernel buffers, then ws) until the server holds messages back.
      let filler = 0;
      while (server.hub.stats().queued === 0) {
        if (filler >= 60_000) throw new Error(`the socket never filled; stats ${JSON.stringify(server.hub.stats())}`);
        server.apply(Array.from({ length: 100 }, () => newOrder(`FILL-${++filler}`, { channel: 'FILL' })));
        await tick();
      }
      const queuedBefore = server.hub.stats().queued;

      const changes = 2_000;
      for (let i = 0; i < changes / watched.length; i++) {
        server.apply(watched.map((id) => wmsEvent(id)));
        if (i % 50 === 0) await tick();
        expect(server.hub.stats().queued).toBeLessThanOrEqual(queuedBefore + watched.length);
      }
      expect(server.hub.stats().connections).toBe(1);
      const finalVersions = Object.fromEntries(watched.map((id) => [id, server.store.get(id)!.version]));
      expect(Object.values(finalVersions).every((v) => v === 1 + changes / watched.length)).toBe(true);

      client.socket.resume();
      for (const id of watched) {
        await client.next((m) => m.type === 'delta' && m.id === 'w' && m.order_id === id && m.version === finalVersions[id], { timeoutMs: 60_000 });
      }
      const deltas = client.messages.filter((m): m is DeltaMessage => m.type === 'delta' && m.id === 'w');
      model.applyAll(deltas, 'w');
      expect(model.problems).toEqual([]);
      for (const id of watched) expect(model.orders.get(id), id).toEqual(server.store.get(id));
      console.log(`[ws flow control] ${changes} changes of ${watched.length} orders reached the paused client as ${deltas.length} deltas (socket filled by ${filler} orders)`);
      expect(deltas.length).toBeLessThan(changes);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('closes a client whose socket stays at the high-water mark past the stuck timeout with 4008', async () => {
    const server = await startFeedServer({ maxQueuedMessages: 50_000, highWaterMarkBytes: 32 * KiB, stuckTimeoutMs: 300, pingIntervalMs: 600_000 });
    const client = await connectFeed(server.url, { token: TOKENS.service });
    try {
      client.send({ type: 'subscribe', id: 'all', filter: {} });
      await client.next((m) => m.type === 'snapshot');
      client.socket.pause();
      let created = 0;
      while (server.hub.stats().waiting === 0) {
        if (created >= 60_000) throw new Error(`the socket never filled; stats ${JSON.stringify(server.hub.stats())}`);
        server.apply(Array.from({ length: 100 }, () => newOrder(`STUCK-${++created}`)));
        await tick();
      }
      await waitFor(() => server.hub.stats().closing === 1, { timeoutMs: 20_000, describe: 'the stuck client to be closed' });
      client.socket.resume();
      const closed = await client.closed;
      expect(closed.code).toBe(4008);
      expect(closed.reason).toMatch(/blocked for \d+ ms/);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('pings clients and terminates one that does not answer', async () => {
    const server = await startFeedServer({ pingIntervalMs: 100 });
    const answering = await connectFeed(server.url, { token: TOKENS.agent });
    const silent = await connectFeed(server.url, { token: TOKENS.agent, autoPong: false });
    try {
      let pings = 0;
      answering.socket.on('ping', () => pings++);
      const dropped = await silent.closed;
      expect(dropped.code).toBe(1006);
      await waitFor(() => pings >= 4, { timeoutMs: 20_000, describe: 'four keep-alive pings' });
      expect(answering.socket.readyState).toBe(answering.socket.OPEN);
      answering.send({ type: 'ping' });
      expect(await answering.next((m) => m.type === 'pong')).toEqual({ type: 'pong' });
      await waitFor(() => server.hub.stats().connections === 1, { timeoutMs: 10_000, describe: 'the silent client to be dropped' });
    } finally {
      await answering.close();
      await server.close();
    }
  });
});
