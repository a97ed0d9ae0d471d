import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFeedServer, TOKENS, type FeedServer } from './support/feed-server.js';
import { connectFeed, refusedStatus } from './support/feed-client.js';

/** The token is checked before the upgrade: refused clients get a plain HTTP status, never a socket. */
describe('feed upgrade auth', () => {
  let server: FeedServer;
  beforeAll(async () => {
    server = await startFeedServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers 401 without a token or with an invalid one', async () => {
    const none = await refusedStatus(server.url);
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body)).toMatchObject({ error: 'OL_ERR_HTTP_UNAUTHORIZED' });
    expect((await refusedStatus(`${server.url}?access_token=not-a-token`)).status).toBe(401);
    expect((await refusedStatus(server.url, { authorization: 'Bearer not-a-token' })).status).toBe(401);
    expect((await refusedStatus(server.url, { authorization: `Basic ${TOKENS.agent}` })).status).toBe(401);
  });

  it('answers 403 to a role that may not read the feed', async () => {
    const viaQuery = await refusedStatus(`${server.url}?access_token=${TOKENS.analyst}`);
    expect(viaQuery.status).toBe(403);
    expect(JSON.parse(viaQuery.body)).toMatchObject({ error: 'OL_ERR_HTTP_FORBIDDEN' });
    expect((await refusedStatus(server.url, { authorization: `Bearer ${TOKENS.analyst}` })).status).toBe(403);
  });

  it('opens the feed for agent, service and admin tokens, from the header or the query', async () => {
    const clients = [
      await connectFeed(server.url, { token: TOKENS.agent, via: 'query' }),
      await connectFeed(server.url, { token: TOKENS.service, via: 'header' }),
      await connectFeed(server.url, { token: TOKENS.admin, via: 'query' }),
    ];
    for (const client of clients) {
      client.send({ type: 'ping' });
      expect(await client.next((m) => m.type === 'pong')).toEqual({ type: 'pong' });
    }
    expect((await server.metrics.wsClients.get()).values[0]?.value).toBe(3);
    for (const client of clients) await client.close();
    expect(server.hub.stats().connections).toBe(0);
    expect((await server.metrics.wsClients.get()).values[0]?.value).toBe(0);
  });
});
