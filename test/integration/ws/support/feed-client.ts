import WebSocket from 'ws';
import type { GoldenView } from '../../../../src/golden/index.js';
import type { ClientMessage, ServerMessage } from '../../../../src/api/ws/index.js';

/** A real `ws` client of the feed that records every frame and lets a test wait for the ones it expects. */
export interface FeedTestClient {
  socket: WebSocket;
  /** Every message received so far, in order. */
  messages: ServerMessage[];
  send(message: ClientMessage | Record<string, unknown> | string): void;
  /** Resolves with the first message (from `from` on) that satisfies `predicate`. */
  next<T extends ServerMessage = ServerMessage>(predicate: (m: ServerMessage) => boolean, options?: { from?: number; timeoutMs?: number }): Promise<T>;
  /** Resolves when the server has closed (or dropped) the connection. */
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

export async function connectFeed(url: string, options: { token?: string; via?: 'header' | 'query'; autoPong?: boolean } = {}): Promise<FeedTestClient> {
  const via = options.via ?? 'query';
  const target = options.token && via === 'query' ? `${url}?access_token=${encodeURIComponent(options.token)}` : url;
  const socket = new WebSocket(target, {
    ...(options.token && via === 'header' ? { headers: { authorization: `Bearer ${options.token}` } } : {}),
    ...(options.autoPong === false ? { autoPong: false } : {}),
  });
  const messages: ServerMessage[] = [];
  const waiters = new Set<() => void>();
  socket.on('message', (data: Buffer) => {
    messages.push(JSON.parse(data.toString('utf8')) as ServerMessage);
    for (const wake of waiters) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.on('close', (code: number, reason: Buffer) => {
      resolve({ code, reason: reason.toString('utf8') });
      for (const wake of waiters) wake();
    });
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with HTTP ${res.statusCode}`)));
    socket.once('error', reject);
  });
  socket.on('error', () => undefined);

  const client: FeedTestClient = {
    socket,
    messages,
    closed,
    send(message) {
      socket.send(typeof message === 'string' ? message : JSON.stringify(message));
    },
    next<T extends ServerMessage>(predicate: (m: ServerMessage) => boolean, opts: { from?: number; timeoutMs?: number } = {}) {
      const from = opts.from ?? 0;
      const timeoutMs = opts.timeoutMs ?? 20_000;
      return new Promise<T>((resolve, reject) => {
        const check = () => {
          const found = messages.slice(from).find(predicate);
          if (found !== undefined) {
            done();
            resolve(found as T);
          } else if (socket.readyState === WebSocket.CLOSED) {
            done();
            reject(new Error(`connection closed while waiting; last messages: ${JSON.stringify(messages.slice(-3))}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for a message; last messages: ${JSON.stringify(messages.slice(-3)).slice(0, 2000)}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async close() {
      if (socket.readyState === WebSocket.CLOSED) return;
      socket.close();
      await closed;
    },
  };
  return client;
}

/** Opens a connection that must be refused: the HTTP status of the refused upgrade. */
export async function refusedStatus(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const socket = new WebSocket(url, { headers });
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      socket.terminate();
      reject(new Error('the upgrade was accepted'));
    });
    socket.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    socket.once('error', (err: Error) => {
      if (!/Unexpected server response/.test(err.message)) reject(err);
    });
  });
}

/**
 * What a client holds after applying the feed's messages of one subscription, checking on the way
 * that every delta starts where the client's copy is (contiguous versions, nothing twice).
 */
export class OrderModel {
  readonly orders = new Map<string, GoldenView>();
  readonly problems: string[] = [];
  deltas = 0;

  apply(message: ServerMessage): void {
    if (message.type === 'snapshot') {
      for (const view of message.orders) this.orders.set(view.order_id, view);
    } else if (message.type === 'delta') {
      this.deltas++;
      const held = this.orders.get(message.order_id);
      if (held !== undefined && held.version !== message.from_version) {
        this.problems.push(`${message.order_id}: delta from ${message.from_version} to ${message.version} but the copy is at ${held.version}`);
      }
      if (message.version <= message.from_version && !message.removed) {
        this.problems.push(`${message.order_id}: delta does not advance (${message.from_version} → ${message.version})`);
      }
      const next = { ...(held ?? {}), ...message.fields, version: message.version } as GoldenView;
      if (message.removed) this.orders.delete(message.order_id);
      else this.orders.set(message.order_id, next);
    } else if (message.type === 'deleted') {
      this.orders.delete(message.order_id);
    }
  }

  applyAll(messages: readonly ServerMessage[], id: string | number): void {
    for (const m of messages) if ('id' in m && m.id === id) this.apply(m);
  }

  /** Order id → version the client holds: what it sends when it resumes. */
  versions(): Record<string, number> {
    return Object.fromEntries([...this.orders].map(([id, view]) => [id, view.version]));
  }
}
