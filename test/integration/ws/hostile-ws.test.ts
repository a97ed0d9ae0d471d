import Fastify, { type FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createAuthenticator } from '../../../src/api/auth/index.js';
import { createFeedHub, registerFeedRoutes, resolveFeedOptions, type ErrorMessage, type FeedOptions, type ServerMessage, type SnapshotMessage } from '../../../src/api/ws/index.js';
import { createChangeFeed } from '../../../src/feed/index.js';
import { createGoldenStore } from '../../../src/golden/index.js';
import { createMetrics } from '../../../src/metrics.js';
import { waitFor } from '../../helpers/clickhouse-wait-for.js';
import { connectFeed, type FeedTestClient } from './support/feed-client.js';
import { startFeedServer, TOKENS, type FeedServer } from './support/feed-server.js';
import { newOrder } from './support/orders.js';

/**
 * Hostile and broken input on the live feed (issue 11): oversized frames, garbage and unknown
 * messages, subscription floods, message floods and connection floods. Each is refused with an
 * error frame, a close code or an HTTP status from the error table, while the server keeps serving
 * every other client.
 */

/** Everything a client receives after `from`, up to the pong answering a ping sent now. */
async function drain(client: FeedTestClient): Promise<ServerMessage[]> {
  const from = client.messages.length;
  client.send({ type: 'ping' });
  await client.next((m) => m.type === 'pong', { from });
  return client.messages.slice(from, client.messages.findIndex((m, i) => i >= from && m.type === 'pong'));
}

/** The client answers: a ping gets its pong. */
async function alive(client: FeedTestClient): Promise<void> {
  expect(client.socket.readyState).toBe(WebSocket.OPEN);
  await drain(client);
}

/** An upgrade that must be refused: its HTTP status, headers and JSON body. */
async function refusedUpgrade(url: string, token: string): Promise<{ status: number; headers: Record<string, unknown>; body: { error: string; message: string } }> {
  const socket = new WebSocket(`${url}?access_token=${encodeURIComponent(token)}`);
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      socket.terminate();
      reject(new Error('the upgrade was accepted'));
    });
    socket.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) }));
      res.on('error', reject);
    });
    socket.once('error', (err: Error) => {
      if (!/Unexpected server response/.test(err.message)) reject(err);
    });
  });
}

/** Tries an upgrade: the open client, or the refusal's status. */
async function tryConnect(url: string, token: string): Promise<FeedTestClient | number> {
  try {
    return await connectFeed(url, { token });
  } catch (err) {
    const status = /HTTP (\d+)/.exec((err as Error).message)?.[1];
    if (status === undefined) throw err;
    return Number(status);
  }
}

describe('hostile feed messages', () => {
  let server: FeedServer;
  let client: FeedTestClient;
  let bystander: FeedTestClient;
  beforeAll(async () => {
    // The message rate is not under test here (see below): these tests send hundreds of messages at once.
    server = await startFeedServer({ maxMessageBytes: 8192, maxPayloadBytes: 65_536, maxMessagesPerSecond: 100_000, messageBurst: 100_000 });
    server.apply([newOrder('H-1'), newOrder('H-2')]);
    client = await connectFeed(server.url, { token: TOKENS.agent });
    bystander = await connectFeed(server.url, { token: TOKENS.service });
    bystander.send({ type: 'subscribe', id: 'watch', filter: { order_ids: ['H-1'] } });
    await bystander.next((m) => m.type === 'snapshot' && m.id === 'watch');
  });
  afterAll(async () => {
    await client?.close();
    await bystander?.close();
    await server?.close();
  });

  it('answers garbage, unknown types and invalid fields with an error frame of the right code, and keeps the connection', async () => {
    const cases: Array<[string | Buffer, ErrorMessage['code']]> = [
      ['', 'OL_ERR_WS_MALFORMED'],
      ['\u0000', 'OL_ERR_WS_MALFORMED'],
      ['null', 'OL_ERR_WS_MALFORMED'],
      ['"subscribe"', 'OL_ERR_WS_MALFORMED'],
      ['42', 'OL_ERR_WS_MALFORMED'],
      ['{"type":"ping"', 'OL_ERR_WS_MALFORMED'],
      ['{"type":"ping"}{"type":"ping"}', 'OL_ERR_WS_MALFORMED'],
      [Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc0]), 'OL_ERR_WS_MALFORMED'],
      ['[' .repeat(4000) + ']'.repeat(4000), 'OL_ERR_WS_MALFORMED'],
      ['{"type":null}', 'OL_ERR_WS_UNKNOWN_TYPE'],
      ['{"type":7}', 'OL_ERR_WS_UNKNOWN_TYPE'],
      ['{"type":["subscribe"]}', 'OL_ERR_WS_UNKNOWN_TYPE'],
      ['{"type":{"toString":"subscribe"}}', 'OL_ERR_WS_UNKNOWN_TYPE'],
      ['{"type":"SUBSCRIBE","id":"a"}', 'OL_ERR_WS_UNKNOWN_TYPE'],
      ['{"type":"subscribe\\u0000","id":"a"}', 'OL_ERR_WS_UNKNOWN_TYPE'],
      ['{"type":"__proto__"}', 'OL_ERR_WS_UNKNOWN_TYPE'],
      ['{"type":"constructor"}', 'OL_ERR_WS_UNKNOWN_TYPE'],
      ['{"type":"hasOwnProperty"}', 'OL_ERR_WS_UNKNOWN_TYPE'],
      ['{"type":"snapshot","id":"a","orders":[]}', 'OL_ERR_WS_UNKNOWN_TYPE'],
      ['{"type":"subscribe","id":"p","filter":{},"__proto__":{"admin":true}}', 'OL_ERR_WS_BAD_REQUEST'],
      ['{"type":"subscribe","id":"p","filter":{"__proto__":{"order_ids":["H-1"]}}}', 'OL_ERR_WS_BAD_REQUEST'],
      ['{"type":"subscribe","id":"p","filter":{"constructor":{"prototype":{"x":1}}}}', 'OL_ERR_WS_BAD_REQUEST'],
      ['{"type":"subscribe","id":{"$gt":""},"filter":{}}', 'OL_ERR_WS_BAD_REQUEST'],
      ['{"type":"subscribe","id":["a"],"filter":{}}', 'OL_ERR_WS_BAD_REQUEST'],
      ['{"type":"subscribe","id":1.5,"filter":{}}', 'OL_ERR_WS_BAD_REQUEST'],
      ['{"type":"subscribe","id":1e309,"filter":{}}', 'OL_ERR_WS_BAD_REQUEST'],
      ['{"type":"subscribe","id":"","filter":{}}', 'OL_ERR_WS_BAD_REQUEST'],
      [JSON.stringify({ type: 'subscribe', id: 'x'.repeat(129), filter: {} }), 'OL_ERR_WS_BAD_REQUEST'],
      ['{"type":"subscribe","id":"p","filter":{"order_ids":"H-1"}}', 'OL_ERR_WS_BAD_REQUEST'],
      ['{"type":"subscribe","id":"p","filter":{"order_ids":[]}}', 'OL_ERR_WS_BAD_REQUEST'],
      ['{"type":"subscribe","id":"p","filter":{"order_ids":[null]}}', 'OL_ERR_WS_BAD_REQUEST'],
      ['{"type":"subscribe","id":"p","filter":{"has_exception":"true"}}', 'OL_ERR_WS_BAD_REQUEST'],
      ['{"type":"subscribe","id":"p","filter":{"customer_id":["C-1"]}}', 'OL_ERR_WS_BAD_REQUEST'],
      ['{"type":"subscribe","id":"p","filter":[]}', 'OL_ERR_WS_BAD_REQUEST'],
      ['{"type":"subscribe","id":"p","filter":{},"versions":{"H-1":1e309}}', 'OL_ERR_WS_BAD_REQUEST'],
      ['{"type":"subscribe","id":"p","filter":{},"versions":{"H-1":9007199254740993}}', 'OL_ERR_WS_BAD_REQUEST'],
      ['{"type":"subscribe","id":"p","filter":{},"versions":[1,2]}', 'OL_ERR_WS_BAD_REQUEST'],
      ['{"type":"subscribe","id":"p","stream":"CASES"}', 'OL_ERR_WS_BAD_REQUEST'],
      ['{"type":"subscribe","id":"p","stream":{"$ne":null}}', 'OL_ERR_WS_BAD_REQUEST'],
      ['{"type":"unsubscribe"}', 'OL_ERR_WS_BAD_REQUEST'],
      ['{"type":"unsubscribe","id":"never-subscribed"}', 'OL_ERR_WS_SUBSCRIPTION'],
      ['{"type":"ping","extra":1}', 'OL_ERR_WS_BAD_REQUEST'],
      [JSON.stringify({ type: 'subscribe', id: 'big', filter: { order_ids: Array.from({ length: 2000 }, (_, i) => `S-${i}`) } }), 'OL_ERR_WS_TOO_LARGE'],
    ];
    for (const [text, code] of cases) {
      const what = (typeof text === 'string' ? text : text.toString('hex')).slice(0, 80);
      const errors = (await (async () => {
        const from = client.messages.length;
        client.socket.send(text, { binary: Buffer.isBuffer(text) });
        await client.next((m) => m.type === 'error', { from });
        return client.messages.slice(from).filter((m): m is ErrorMessage => m.type === 'error');
      })());
      expect(errors[0]!.code, what).toBe(code);
      expect(errors[0]!.message.length, what).toBeGreaterThan(0);
      expect(errors[0]!.message.length, what).toBeLessThan(2000);
    }
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    await alive(client);
    // None of it opened a subscription.
    expect(server.hub.stats().subscriptions).toBe(1);
  });

  it('matches hostile order ids and filter values literally: nothing, and never another order', async () => {
    const values = ["' OR 1=1 --", 'H-1\u0000', 'h-1', ' H-1', 'H-%', 'H-*', '.*', '\\', '"', '🙂', '\u202eH-1'];
    let n = 0;
    for (const value of values) {
      for (const filter of [{ order_ids: [value] }, { customer_id: value }, { channel: value }, { status: [value] }]) {
        const id = `lit-${n++}`;
        const from = client.messages.length;
        client.send({ type: 'subscribe', id, filter });
        const snapshot = await client.next<SnapshotMessage>((m) => m.type === 'snapshot' && m.id === id, { from });
        expect(snapshot.orders, `${JSON.stringify(filter)}`).toEqual([]);
        client.send({ type: 'unsubscribe', id });
        await client.next((m) => m.type === 'unsubscribed' && m.id === id, { from });
      }
    }
    await alive(client);
  });

  it('closes a client sending a frame over the payload limit with 1009; everyone else goes on', async () => {
    const victim = await connectFeed(server.url, { token: TOKENS.agent });
    victim.socket.send('x'.repeat(65_537));
    expect((await victim.closed).code).toBe(1009);
    await alive(client);
    await alive(bystander);
    const fresh = await connectFeed(server.url, { token: TOKENS.agent });
    await alive(fresh);
    await fresh.close();
    await waitFor(() => server.hub.stats().connections === 2, { what: 'the closed clients to leave the hub' });
  });
});

describe('subscription flood', () => {
  it('refuses subscriptions past the per-connection limit with an error frame each, keeps those it holds, and serves others', async () => {
    const server = await startFeedServer({ maxSubscriptions: 5, maxMessagesPerSecond: 100_000, messageBurst: 100_000 });
    const flooder = await connectFeed(server.url, { token: TOKENS.agent });
    const other = await connectFeed(server.url, { token: TOKENS.agent });
    try {
      server.apply([newOrder('F-1')]);
      for (let i = 0; i < 40; i++) flooder.send({ type: 'subscribe', id: i, filter: {} });
      const got = await drain(flooder);
      expect(got.filter((m) => m.type === 'subscribed').map((m) => (m as { id: number }).id)).toEqual([0, 1, 2, 3, 4]);
      const refused = got.filter((m): m is ErrorMessage => m.type === 'error');
      expect(refused).toHaveLength(35);
      for (const error of refused) {
        expect(error.code).toBe('OL_ERR_WS_SUBSCRIPTION');
        expect(error.message).toMatch(/at most 5 subscriptions per connection/);
      }
      expect(server.hub.stats().subscriptions).toBe(5);

      other.send({ type: 'subscribe', id: 'mine', filter: { order_ids: ['F-1'] } });
      const snapshot = await other.next<SnapshotMessage>((m) => m.type === 'snapshot' && m.id === 'mine');
      expect(snapshot.orders.map((o) => o.order_id)).toEqual(['F-1']);

      // Unsubscribing frees a slot; the held subscriptions still get their deltas.
      flooder.send({ type: 'unsubscribe', id: 0 });
      flooder.send({ type: 'subscribe', id: 'again', filter: {} });
      const after = await drain(flooder);
      expect(after.some((m) => m.type === 'subscribed' && m.id === 'again')).toBe(true);
      const from = flooder.messages.length;
      server.apply([newOrder('F-2')]);
      for (const id of [1, 2, 3, 4, 'again']) await flooder.next((m) => m.type === 'delta' && m.id === id && m.order_id === 'F-2', { from });
    } finally {
      await flooder.close();
      await other.close();
      await server.close();
    }
  });
});

describe('message flood (token bucket on a test clock)', () => {
  const limits: Partial<FeedOptions> = { maxMessagesPerSecond: 5, messageBurst: 10 };
  let clock = 1_000_000;
  let app: ReturnType<typeof Fastify>;
  let url: string;

  beforeAll(async () => {
    const logger = pino({ level: 'silent' });
    const metrics = createMetrics();
    const store = createGoldenStore({ now: () => clock });
    const feed = createChangeFeed({ onListenerError: () => undefined });
    const auth = createAuthenticator({ tokens: [{ token: TOKENS.agent, role: 'agent', name: 'agent-user' }, { token: TOKENS.service, role: 'service', name: 'service-user' }] });
    const hub = createFeedHub({ feed, store, metrics, logger, options: resolveFeedOptions(limits), now: () => clock });
    app = Fastify({ loggerInstance: logger as FastifyBaseLogger });
    await registerFeedRoutes(app, { feed, store, auth, metrics, logger, options: limits, hub });
    url = `${(await app.listen({ host: '127.0.0.1', port: 0 })).replace(/^http/, 'ws')}/ws`;
  });
  afterAll(async () => {
    await app?.close();
  });

  it('acts on a burst, drops what is over the rate with one error frame, and takes messages again as time passes', async () => {
    const client = await connectFeed(url, { token: TOKENS.agent });
    try {
      for (let i = 0; i < 15; i++) client.send({ type: 'ping' });
      const first = await client.next<ErrorMessage>((m) => m.type === 'error');
      expect(first.code).toBe('OL_ERR_WS_RATE_LIMITED');
      expect(first.message).toMatch(/more than 5 messages per second \(burst 10\)/);
      // 11 to 15 were dropped, one error frame for the run. A second later 5 tokens are back.
      clock += 1000;
      const from = client.messages.length;
      client.send({ type: 'ping' });
      await client.next((m) => m.type === 'pong', { from });
      expect(client.messages.filter((m) => m.type === 'pong')).toHaveLength(11);
      expect(client.messages.filter((m) => m.type === 'error')).toHaveLength(1);
      expect(client.socket.readyState).toBe(WebSocket.OPEN);
    } finally {
      await client.close();
    }
  });

  it('closes a client that goes on flooding with 4029, and serves the others', async () => {
    const flooder = await connectFeed(url, { token: TOKENS.agent });
    const other = await connectFeed(url, { token: TOKENS.service });
    for (let i = 0; i < 100; i++) flooder.send({ type: 'subscribe', id: i, filter: {} });
    const closed = await flooder.closed;
    expect(closed.code).toBe(4029);
    expect(closed.reason).toMatch(/too many messages/);
    expect(flooder.messages.filter((m) => m.type === 'subscribed')).toHaveLength(10);
    expect(flooder.messages.filter((m) => m.type === 'error').map((m) => (m as ErrorMessage).code)).toEqual(['OL_ERR_WS_RATE_LIMITED']);
    await alive(other);
    await other.close();
  });
});

describe('connection flood', () => {
  let server: FeedServer;
  beforeAll(async () => {
    server = await startFeedServer({ maxConnections: 6, maxConnectionsPerClient: 4 });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('refuses a client past its own limit with 429, and the server past its total with 503, before any socket opens', async () => {
    const agents = await Promise.all([1, 2, 3, 4].map(() => connectFeed(server.url, { token: TOKENS.agent })));
    const perClient = await refusedUpgrade(server.url, TOKENS.agent);
    expect(perClient.status).toBe(429);
    expect(perClient.headers['retry-after']).toBe('5');
    expect(perClient.body).toMatchObject({ error: 'OL_ERR_WS_TOO_MANY_CONNECTIONS' });
    expect(perClient.body.message).toMatch(/at most 4 feed connections per client/);

    // Another client still gets in, up to the total.
    const services = await Promise.all([1, 2].map(() => connectFeed(server.url, { token: TOKENS.service })));
    const total = await refusedUpgrade(server.url, TOKENS.admin);
    expect(total.status).toBe(503);
    expect(total.body).toMatchObject({ error: 'OL_ERR_WS_TOO_MANY_CONNECTIONS' });
    expect(total.body.message).toMatch(/limit of 6 connections/);
    // A bad token is still a 401, whatever the load.
    expect((await refusedUpgrade(server.url, 'nope')).status).toBe(401);

    for (const c of [...agents, ...services]) await alive(c);
    expect(server.hub.stats().connections).toBe(6);

    // A closed connection frees its slot.
    await agents[0]!.close();
    const again = await waitFor(async () => {
      const attempt = await tryConnect(server.url, TOKENS.admin);
      return typeof attempt === 'number' ? undefined : attempt;
    }, { what: 'a slot freed by the closed connection' });
    await alive(again);
    for (const c of [again, ...agents.slice(1), ...services]) await c.close();
    await waitFor(() => server.hub.stats().connections === 0, { what: 'every connection to leave' });
  });

  it('holds a burst of concurrent upgrades to the limits exactly, then serves normally once they leave', async () => {
    const attempts = await Promise.all(
      Array.from({ length: 60 }, (_, i) => tryConnect(server.url, [TOKENS.agent, TOKENS.service, TOKENS.admin][i % 3]!)),
    );
    const open = attempts.filter((a): a is FeedTestClient => typeof a !== 'number');
    const refused = attempts.filter((a): a is number => typeof a === 'number');
    expect(open).toHaveLength(6);
    expect(refused).toHaveLength(54);
    expect(refused.every((s) => s === 429 || s === 503)).toBe(true);
    expect(server.hub.stats().connections).toBe(6);
    for (const c of open) await alive(c);
    for (const c of open) await c.close();

    const later = await waitFor(async () => {
      const attempt = await tryConnect(server.url, TOKENS.agent);
      return typeof attempt === 'number' ? undefined : attempt;
    }, { what: 'the slots to free' });
    server.apply([newOrder('C-1')]);
    later.send({ type: 'subscribe', id: 's', filter: {} });
    const snapshot = await later.next<SnapshotMessage>((m) => m.type === 'snapshot' && m.id === 's');
    expect(snapshot.orders.map((o) => o.order_id)).toContain('C-1');
    await later.close();
  });

  it('does not hold a slot for a plain GET of the feed path or a refused upgrade', async () => {
    const base = server.url.replace(/^ws/, 'http');
    for (let i = 0; i < 10; i++) {
      const res = await fetch(base, { headers: { authorization: `Bearer ${TOKENS.agent}` } });
      expect(res.status).toBe(404);
      await res.arrayBuffer();
    }
    for (let i = 0; i < 10; i++) expect((await refusedUpgrade(server.url, 'bad-token')).status).toBe(401);
    const clients = await Promise.all([1, 2, 3, 4].map(() => connectFeed(server.url, { token: TOKENS.agent })));
    for (const c of clients) await c.close();
  });
});
