import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GoldenView } from '../../../src/golden/index.js';
import { TOKENS, bearer, expectedViews, startApiHarness, type ApiHarness } from './support/api-harness.js';

/**
 * Hostile and broken input on every HTTP route (issue 11; `POST /sql` has its own tests): malformed
 * and oversized bodies, and injection attempts through every path and query parameter. Whatever
 * arrives, the answer is a 2xx with only matching data, or a 4xx JSON error from the error table;
 * never a 500, and the data others read stays the same.
 */

const agent = bearer(TOKENS.agent);

/** Values an attacker or a broken client sends: SQL-ish, quotes, backslashes, ClickHouse parameter syntax, NUL, unicode, control characters. */
const HOSTILE = [
  "' OR 1=1 --",
  "SO-000001' OR '1'='1",
  '" OR ""="',
  "'; DROP TABLE golden_orders; --",
  'SO-000001\\',
  "\\'",
  '\\\\',
  '{customer_id:String}',
  '{limit:UInt32}) OR (1=1',
  ') UNION ALL SELECT * FROM system.tables --',
  '%',
  '%%',
  '_',
  '*',
  'a\u0000b',
  '\u0000',
  'SO-000001\u0000',
  '\n\r\t',
  'SO-000001\nX',
  '日本語の注文',
  '🙂🙃',
  'é', // combining acute accent
  '\u202eSO-000001', // right-to-left override
  '\uffff\ufffe',
  '\ud800', // lone surrogate: sent as U+FFFD, the only way UTF-8 can carry it
  'x'.repeat(300),
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '${jndi:ldap://x}',
  '__proto__',
  'constructor',
  'NULL',
  '-1',
  '1e309',
  '[]',
  '{}',
];

/** Percent-encodes a value; a lone surrogate becomes U+FFFD (percent-encoding is of UTF-8, which cannot carry one). */
const q = (value: string) => encodeURIComponent((value as string & { toWellFormed(): string }).toWellFormed());

/** Every answer of the API is JSON with a known code when it is an error, and never a 5xx. */
function expectHandled(res: LightMyRequestResponse, what: string): void {
  expect(res.statusCode, `${what}: ${res.body.slice(0, 300)}`).toBeLessThan(500);
  if (res.statusCode >= 400) {
    const body = res.json() as { error?: unknown; message?: unknown };
    expect(body.error, what).toMatch(/^OL_ERR_/);
    expect(typeof body.message, what).toBe('string');
    expect(String(body.message).length, what).toBeGreaterThan(0);
  }
}

describe('hostile HTTP input', () => {
  let h: ApiHarness;
  let expected: Map<string, Record<string, unknown>>;
  /** Every live order as the search answers it before any hostile request: must be the same after. */
  let before: string;

  const inject = (options: InjectOptions) => h.app.inject(options);
  const get = (url: string, headers: Record<string, string> = agent) => inject({ method: 'GET', url, headers });
  const everyOrder = async () => {
    const res = await get('/orders?limit=500');
    expect(res.statusCode).toBe(200);
    return JSON.stringify((res.json() as { orders: GoldenView[] }).orders.map((o) => [o.order_id, o.version]));
  };

  beforeAll(async () => {
    h = await startApiHarness();
    expected = await expectedViews();
    before = await everyOrder();
  });
  afterAll(async () => {
    if (h === undefined) return;
    // Nothing any hostile request sent changed what others read.
    expect(await everyOrder()).toBe(before);
    await h.close();
  });

  describe('every query and path parameter of every route', () => {
    /** Each route with each of its parameters, as a URL builder for one value. */
    const TARGETS: Array<[string, (v: string) => string]> = [
      ['order_id', (v) => `/orders/${q(v)}`],
      ['include', (v) => `/orders/SO-000001?include=${q(v)}`],
      ['timeline order_id', (v) => `/orders/${q(v)}/timeline`],
      ['order cases order_id', (v) => `/orders/${q(v)}/cases`],
      ...(['customer_id', 'phone', 'tracking_no', 'fulfillment_id', 'status', 'exception', 'channel', 'limit', 'cursor'] as const).map(
        (name) => [`search ${name}`, (v: string) => `/orders?${name}=${q(v)}`] as [string, (v: string) => string],
      ),
      ...(['queue', 'severity', 'rule', 'status', 'order_id', 'tracking_no', 'limit'] as const).map(
        (name) => [`cases ${name}`, (v: string) => `/cases?${name}=${q(v)}`] as [string, (v: string) => string],
      ),
      ['case_id', (v) => `/cases/${q(v)}`],
      ['days', (v) => `/insights/health?days=${q(v)}`],
      ['orphans', (v) => `/shipments/orphans?x=${q(v)}`],
      ['console file', (v) => `/console/${q(v)}`],
      ['health', (v) => `/health?x=${q(v)}`],
    ];

    it('answers every hostile value with a 2xx or a JSON 4xx, never a 5xx', async () => {
      for (const [name, url] of TARGETS) {
        for (const value of HOSTILE) {
          const target = url(value);
          expectHandled(await get(target), `${name} ${JSON.stringify(value)} (${target.slice(0, 120)})`);
        }
      }
    });

    it('finds nothing with an injection attempt in a search filter, and 400s on values of closed sets', async () => {
      for (const value of HOSTILE) {
        for (const name of ['customer_id', 'phone', 'tracking_no', 'fulfillment_id', 'channel']) {
          const res = await get(`/orders?${name}=${q(value)}`);
          const what = `${name}=${JSON.stringify(value)}`;
          if (value.length > 128 || (name === 'phone' || name === 'channel') && value.length > 64) {
            expect(res.statusCode, what).toBe(400);
            expect(res.json().message, what).toMatch(new RegExp(`querystring/${name} must NOT have more than`));
            continue;
          }
          expect(res.statusCode, what).toBe(200);
          expect(res.json().orders, what).toEqual([]);
        }
        for (const name of ['status', 'exception']) {
          const res = await get(`/orders?${name}=${q(value)}`);
          expect(res.statusCode, `${name}=${JSON.stringify(value)}`).toBe(400);
          expect(res.json().message).toMatch(new RegExp(`querystring/${name} must be equal to one of the allowed values`));
        }
      }
    });

    it('answers an order id with an injection attempt with 404 naming no other order', async () => {
      for (const value of HOSTILE) {
        for (const suffix of ['', '/timeline']) {
          const res = await get(`/orders/${q(value)}${suffix}`);
          const what = `${JSON.stringify(value)}${suffix}`;
          if (value.length > 256) {
            expect(res.statusCode, what).toBe(400);
            expect(res.json().message, what).toMatch(/params\/order_id must NOT have more than 256 characters/);
          } else {
            expect(res.statusCode, what).toBe(404);
            expect(res.json().error, what).toBe('OL_ERR_HTTP_NOT_FOUND');
          }
        }
        const cases = await get(`/orders/${q(value)}/cases`);
        if (value.length <= 256) expect(cases.json().cases, JSON.stringify(value)).toEqual([]);
      }
    });

    it('refuses repeated parameters where one value is expected with a 400 naming the parameter', async () => {
      const cases: Array<[string, RegExp]> = [
        ['/orders?customer_id=C-1&customer_id=C-2', /querystring\/customer_id must be string/],
        ['/orders?status=PAID&status=CREATED', /querystring\/status must be (string|equal to one of)/],
        ['/orders?limit=1&limit=2', /querystring\/limit must be integer/],
        ['/orders?cursor=a&cursor=b', /querystring\/cursor must be string/],
        ['/orders/SO-000001?include=provenance&include=provenance', /querystring\/include must be (string|equal to one of)/],
        ['/cases?order_id=a&order_id=b', /querystring\/order_id must be string/],
        ['/cases?queue=a&queue=b', /querystring\/queue must be string/],
        ['/insights/health?days=1&days=2', /querystring\/days must be integer/],
        ['/orders?customer_id[]=C-1', /must NOT have additional properties \(customer_id\[\]\)/],
        ['/orders?customer_id[0]=C-1', /must NOT have additional properties/],
      ];
      for (const [url, message] of cases) {
        const res = await get(url);
        expect(res.statusCode, url).toBe(400);
        expect(res.json().error, url).toBe('OL_ERR_HTTP_BAD_REQUEST');
        expect(res.json().message, url).toMatch(message);
      }
    });

    it('refuses numbers out of range, not integers or not finite for limit and days', async () => {
      for (const value of ['-1', '0', '-0', '1.5', '1e9', '1e309', '-1e309', '99999999999999999999', 'NaN', 'Infinity', ' ', '', '1 OR 1=1', '1;2', '1\u0000']) {
        for (const url of [`/orders?limit=${q(value)}`, `/cases?limit=${q(value)}`, `/insights/health?days=${q(value)}`]) {
          const res = await get(url);
          expect(res.statusCode, url).toBe(400);
          expect(res.json().error, url).toBe('OL_ERR_HTTP_BAD_REQUEST');
          expect(res.json().message, url).toMatch(/querystring\/(limit|days)/);
        }
      }
      // What JavaScript reads as a number in range (the schema coerces as Number() does) is that number.
      for (const value of ['1e2', '0x10', ' 7 ', '+3']) {
        for (const url of [`/orders?limit=${q(value)}`, `/cases?limit=${q(value)}`, `/insights/health?days=${q(value)}`]) {
          expect((await get(url)).statusCode, url).toBe(200);
        }
      }
    });

    it('answers URLs that are not valid percent-encoding or UTF-8 with a JSON 400, never a 5xx', async () => {
      for (const url of ['/orders/%E0%A4%A', '/orders/%', '/orders/%zz/timeline', '/orders?customer_id=%', '/orders?customer_id=%E0%A4%A', '/orders/%ED%A0%80', '/orders?phone=%FF%FE', '/cases/%C0%AF']) {
        const res = await get(url);
        expectHandled(res, url);
        if (res.statusCode !== 200) expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      }
    });

    it('answers an over-long URL or parameter with a 400 or 414 that does not echo it, never by silently cutting it', async () => {
      const long = 'S'.repeat(100_000);
      for (const url of [`/orders/${long}`, `/orders?customer_id=${long}`, `/orders?cursor=${long}`, `/cases?queue=${long}`, `/cases/${long}`, `/orders/${long}/timeline`, `/orders/${long}/cases`]) {
        const res = await get(url);
        expectHandled(res, url.slice(0, 40));
        expect([400, 414], url.slice(0, 40)).toContain(res.statusCode);
        if (res.statusCode === 414) expect(res.json().error).toBe('OL_ERR_HTTP_TOO_LARGE');
        expect(res.body.length, url.slice(0, 40)).toBeLessThan(1000);
      }
    });

    it('takes a path id up to its schema limit in any script, and names the limit beyond it', async () => {
      // The limit counts characters (code points), as JSON Schema does: 256 emoji are 512 UTF-16 units.
      for (const char of ['S', '\u00e9', '日', '🙂']) {
        const id = char.repeat(256);
        for (const suffix of ['', '/timeline']) {
          const res = await get(`/orders/${q(id)}${suffix}`);
          expect(res.statusCode, `${char} ${suffix}`).toBe(404);
        }
        expect((await get(`/orders/${q(id)}/cases`)).statusCode).toBe(200);
        const over = await get(`/orders/${q(id + char)}`);
        expect(over.statusCode).toBe(400);
        expect(over.json().message).toMatch(/params\/order_id must NOT have more than 256 characters/);
      }
    });

    it('takes cursors that decode to hostile keys without answering another page or failing', async () => {
      const cursor = (c: unknown, o: unknown) => Buffer.from(JSON.stringify({ c, o }), 'utf8').toString('base64url');
      const accepted = [
        cursor(null, "' OR 1=1 --"),
        cursor(0, '\u0000'),
        cursor(-8_640_000_000_000_000, '{after_id:String}'),
        cursor(Number.MAX_SAFE_INTEGER, 'x'.repeat(700)),
        cursor(Number.MIN_SAFE_INTEGER, '🙂'),
      ];
      for (const value of accepted) {
        const res = await get(`/orders?cursor=${value}`);
        expectHandled(res, value);
        expect(res.statusCode).toBe(200);
      }
      const refused = [cursor(1.5, 'x'), cursor('1', 'x'), cursor(1, ''), cursor(1, 7), cursor(2 ** 60, 'x'), Buffer.from('[1]').toString('base64url'), Buffer.from('null').toString('base64url'), 'Zm9v=', '....'];
      for (const value of refused) {
        const res = await get(`/orders?cursor=${q(value)}`);
        expect(res.statusCode, value).toBe(400);
        expect(res.json().message, value).toMatch(/querystring\/cursor/);
      }
    });

    it('property: a random search value never gives a 5xx, and every order it returns matches it', async () => {
      const views = [...expected.values()];
      const text = fc.oneof(
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.string({ unit: fc.constantFrom("'", '"', '\\', '\u0000', '%', '{', '}', ':', ';', '-', ' ', '+', '(', ')', '.', 'S', 'O', '0', '1', 'c', 'C', '日'), maxLength: 40 }),
        fc.constantFrom(...views.map((v) => String(v.customer_id)), ...views.map((v) => String(v.channel))),
      );
      await fc.assert(
        fc.asyncProperty(fc.constantFrom('customer_id', 'channel', 'phone', 'tracking_no', 'fulfillment_id'), text, async (name, value) => {
          const res = await get(`/orders?limit=500&${name}=${q(value)}`);
          expectHandled(res, `${name}=${JSON.stringify(value)}`);
          if (res.statusCode !== 200) {
            expect(res.statusCode).toBe(400);
            return;
          }
          for (const order of (res.json() as { orders: Array<Record<string, any>> }).orders) {
            if (name === 'customer_id') expect(order.customer_id).toBe(value);
            if (name === 'channel') expect(order.channel).toBe(value);
          }
          if (name === 'customer_id' || name === 'channel') {
            const want = views.filter((v) => v[name] === value).map((v) => v.order_id).sort();
            const got = (res.json() as { orders: GoldenView[] }).orders.map((o) => o.order_id).sort();
            expect(got).toEqual(want);
          }
        }),
        { numRuns: 150 },
      );
    });

    it('property: a random order id or case id never gives a 5xx, and a found order is the one named', async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 30 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 30 })), async (value) => {
          const res = await get(`/orders/${q(value)}`);
          expectHandled(res, JSON.stringify(value));
          if (res.statusCode === 200) expect(String(res.json().order_id).toUpperCase()).toBe(value.trim().toUpperCase());
          expectHandled(await get(`/cases/${q(value)}`), JSON.stringify(value));
          expectHandled(await get(`/cases?rule=${q(value)}&queue=${q(value)}`), JSON.stringify(value));
        }),
        { numRuns: 100 },
      );
    });
  });

  describe('requests Node cannot parse (a listening server)', () => {
    /** Writes raw bytes to the listening API and reads the answer until the server closes. */
    async function raw(request: string): Promise<string> {
      const address = h.app.server.address() as AddressInfo;
      const socket = connect(address.port, '127.0.0.1');
      socket.on('error', () => undefined);
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.end(request);
      await closed;
      return answer;
    }

    beforeAll(async () => {
      await h.app.listen({ host: '127.0.0.1', port: 0 });
    });

    it('answers a URL or headers over the header size limit with 431 and a JSON error, and goes on serving', async () => {
      const answer = await raw(`GET /orders?customer_id=${'x'.repeat(40_000)} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKENS.agent}\r\n\r\n`);
      expect(answer).toMatch(/^HTTP\/1\.1 431 /);
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: 'OL_ERR_HTTP_TOO_LARGE' });
      const headers = await raw(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'y'.repeat(40_000)}\r\n\r\n`);
      expect(headers).toMatch(/^HTTP\/1\.1 431 /);
      expect((await raw('GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'))).toMatch(/^HTTP\/1\.1 200 /);
    });

    it('answers a request that is not HTTP with 400 and a JSON error', async () => {
      for (const request of ['HELLO\r\n\r\n', 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n', 'GET /\u0000 HTTP/1.1\r\n\r\n', 'GET / HTTP/1.1\r\nBad Header\r\n\r\n']) {
        const answer = await raw(request);
        expect(answer, JSON.stringify(request)).toMatch(/^HTTP\/1\.1 400 /);
        expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: 'OL_ERR_HTTP_BAD_REQUEST' });
      }
    });
  });

  describe('request bodies', () => {
    const action = (payload: string | Buffer, headers: Record<string, string> = {}) =>
      inject({ method: 'POST', url: '/cases/NO-SUCH-CASE/actions', headers: { ...agent, 'content-type': 'application/json', ...headers }, payload });

    it('answers malformed JSON with a 400 saying the body is not JSON', async () => {
      for (const payload of ['{', '{"action":', "{'action':'acknowledge'}", '{"action":"acknowledge"}}', 'acknowledge', '\u0000', '{"action":"acknowledge",}', '\ufeff{"action":"acknowledge"}x']) {
        const res = await action(payload);
        expect(res.statusCode, payload).toBe(400);
        expect(res.json().error, payload).toBe('OL_ERR_HTTP_BAD_REQUEST');
        expect(res.json().message, payload).toMatch(/JSON|body/i);
      }
    });

    it('answers an empty body, a wrong JSON shape or unknown fields with a 400 naming the problem', async () => {
      const cases: Array<[string, RegExp]> = [
        ['', /body/i],
        ['null', /body/],
        ['[]', /body/],
        ['"acknowledge"', /body/],
        ['42', /body/],
        ['{}', /body/],
        ['{"action":"explode"}', /body/],
        ['{"action":["acknowledge"]}', /body/],
        ['{"action":"acknowledge","extra":1}', /body/],
        ['{"action":"assign","assignee":""}', /body/],
        [`{"action":"comment","text":"${'x'.repeat(5000)}"}`, /body/],
      ];
      for (const [payload, message] of cases) {
        const res = await action(payload);
        expect(res.statusCode, payload.slice(0, 60)).toBe(400);
        expect(res.json().error).toBe('OL_ERR_HTTP_BAD_REQUEST');
        expect(res.json().message, payload.slice(0, 60)).toMatch(message);
      }
    });

    it('refuses prototype pollution in a body and leaves Object.prototype alone', async () => {
      for (const payload of ['{"action":"acknowledge","__proto__":{"polluted":true}}', '{"action":"acknowledge","constructor":{"prototype":{"polluted":true}}}']) {
        const res = await action(payload);
        expect(res.statusCode, payload).toBe(400);
        expect(res.json().error).toBe('OL_ERR_HTTP_BAD_REQUEST');
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('answers deeply nested JSON with a 400, not a stack overflow', async () => {
      for (const payload of ['['.repeat(200_000) + ']'.repeat(200_000), '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000)]) {
        const res = await action(payload);
        expect(res.statusCode).toBe(400);
        expect(res.json().error).toBe('OL_ERR_HTTP_BAD_REQUEST');
      }
    });

    it('answers a body over the limit with 413 and a code from the error table, then goes on serving', async () => {
      const big = JSON.stringify({ action: 'comment', text: 'x'.repeat(2 * 1024 * 1024) });
      const res = await action(big);
      expect(res.statusCode).toBe(413);
      expect(res.json()).toMatchObject({ error: 'OL_ERR_HTTP_TOO_LARGE' });
      expect(res.json().message).toMatch(/1048576 bytes/);
      // A lying content-length is refused the same way, before the body is read.
      const lying = await inject({
        method: 'POST',
        url: '/cases/NO-SUCH-CASE/actions',
        headers: { ...agent, 'content-type': 'application/json', 'content-length': String(50 * 1024 * 1024) },
        payload: '{"action":"acknowledge"}',
      });
      expect(lying.statusCode).toBeGreaterThanOrEqual(400);
      expect(lying.statusCode).toBeLessThan(500);
      expect((await get('/orders/SO-000001')).statusCode).toBe(200);
    });

    it('answers other content types with 415, and a body on a GET is ignored or refused, never a 5xx', async () => {
      for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/jsonx', 'image/png']) {
        const res = await action('{"action":"acknowledge"}', { 'content-type': type });
        expectHandled(res, type);
        expect(res.statusCode, type).toBe(415);
      }
      // Fastify reads text/plain as a string, which is not the object the schema wants.
      const plain = await action('{"action":"acknowledge"}', { 'content-type': 'text/plain' });
      expect(plain.statusCode).toBe(400);
      expect(plain.json().message).toMatch(/body must be object/);
      // No case by that id: the body was read as JSON whatever the charset parameter says.
      expect((await action('{"action":"acknowledge"}', { 'content-type': 'application/json; charset=utf-16' })).statusCode).toBe(404);
      const res = await inject({ method: 'GET', url: '/orders/SO-000001', headers: { ...agent, 'content-type': 'application/json' }, payload: '{' });
      expectHandled(res, 'GET with a body');
    });

    it('answers a body on a route that takes none, and unknown methods, with a 4xx', async () => {
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH'] as const) {
        const res = await inject({ method, url: '/orders/SO-000001', headers: { ...agent, 'content-type': 'application/json' }, payload: '{}' });
        expectHandled(res, method);
        expect(res.statusCode).toBe(404);
      }
    });
  });
});
