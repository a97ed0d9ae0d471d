import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createChangeHistory } from '../../../src/api/ws/change-history.js';
import { createClientMessageParser } from '../../../src/api/ws/client-message.js';
import { compileFilter } from '../../../src/api/ws/order-filter.js';
import { coalesce, createOutbox, toServerMessage, type DeltaItem } from '../../../src/api/ws/outbox.js';
import type { OrderDelta } from '../../../src/api/ws/order-delta.js';
import type { GoldenView } from '../../../src/golden/index.js';

/** The pure parts of the feed (no sockets): coalescing, resume history, message parsing, filters. */

function delta(orderId: string, version: number, fields: Record<string, unknown>): DeltaItem {
  return { kind: 'delta', subscription: 's', orderId, fromVersion: version - 1, version, fields, removed: false, times: null };
}

describe('outbox coalescing', () => {
  it('merges pending deltas of one order: oldest from_version, newest version, union of fields with the latest values', () => {
    const merged = coalesce(
      { ...delta('A', 3, { status: 'RELEASED', sources: 1 }), times: { sourceTime: 10, kafkaTime: 11 } },
      { ...delta('A', 4, { sources: 2, packed_at: 'x' }), times: { sourceTime: 20, kafkaTime: 21 } },
    );
    expect(merged).toEqual({
      ...delta('A', 4, { status: 'RELEASED', sources: 2, packed_at: 'x' }),
      fromVersion: 2,
      times: { sourceTime: 10, kafkaTime: 11 },
    });
  });

  it('keeps one slot per order in first-come order, and a delete wins', () => {
    const outbox = createOutbox();
    outbox.push(delta('A', 1, { a: 1 }));
    outbox.push({ kind: 'message', message: { type: 'pong' } });
    outbox.push(delta('B', 5, { b: 1 }));
    outbox.push(delta('A', 2, { a: 2 }));
    outbox.push({ kind: 'deleted', subscription: 's', orderId: 'B', version: 6 });
    expect(outbox.size).toBe(3);
    expect(toServerMessage(outbox.shift()!)).toEqual({ type: 'delta', id: 's', order_id: 'A', from_version: 0, version: 2, fields: { a: 2 } });
    expect(toServerMessage(outbox.shift()!)).toEqual({ type: 'pong' });
    expect(toServerMessage(outbox.shift()!)).toEqual({ type: 'deleted', id: 's', order_id: 'B', version: 6 });
    expect(outbox.shift()).toBeUndefined();
  });

  it('a pending gap snapshot absorbs later deltas; leaving the filter turns it into a full removed delta', () => {
    const view = { order_id: 'A', status: 'PAID', version: 7 } as unknown as GoldenView;
    const gap = { kind: 'gap' as const, subscription: 's', orderId: 'A', clientVersion: 2, view };
    const absorbed = coalesce(gap, delta('A', 8, { status: 'RELEASED' }));
    expect(absorbed).toMatchObject({ kind: 'gap', view: { status: 'RELEASED', version: 8 } });
    const removed = coalesce(absorbed, { ...delta('A', 9, { status: 'PICKING' }), removed: true });
    expect(removed).toMatchObject({ kind: 'delta', fromVersion: 2, version: 9, removed: true, fields: { order_id: 'A', status: 'PICKING' } });
  });

  it('drops what a subscription still had pending when it is unsubscribed', () => {
    const outbox = createOutbox();
    outbox.push(delta('A', 1, {}));
    outbox.push({ ...delta('A', 1, {}), subscription: 'other' });
    outbox.push({ kind: 'message', message: { type: 'snapshot', id: 's', orders: [] } });
    outbox.dropSubscription('s');
    expect(outbox.size).toBe(1);
    expect(outbox.shift()).toMatchObject({ subscription: 'other' });
  });

  it('property: whatever the interleaving of pushes and sends, the client ends at the newest state with contiguous versions', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ order: fc.constantFrom('A', 'B', 'C'), field: fc.constantFrom('f1', 'f2', 'f3'), value: fc.integer(), send: fc.boolean() }), { maxLength: 60 }),
        (steps) => {
          const outbox = createOutbox();
          const versions = new Map<string, number>();
          const truth = new Map<string, Record<string, unknown>>();
          const client = new Map<string, { version: number; fields: Record<string, unknown> }>();
          const deliver = () => {
            for (let item = outbox.shift(); item !== undefined; item = outbox.shift()) {
              if (item.kind !== 'delta') throw new Error('only deltas here');
              const held = client.get(item.orderId) ?? { version: 0, fields: {} };
              expect(item.fromVersion).toBe(held.version);
              client.set(item.orderId, { version: item.version, fields: { ...held.fields, ...item.fields } });
            }
          };
          for (const step of steps) {
            const version = (versions.get(step.order) ?? 0) + 1;
            versions.set(step.order, version);
            truth.set(step.order, { ...(truth.get(step.order) ?? {}), [step.field]: step.value });
            outbox.push(delta(step.order, version, { [step.field]: step.value }));
            expect(outbox.size).toBeLessThanOrEqual(3);
            if (step.send) deliver();
          }
          deliver();
          for (const [order, fields] of truth) expect(client.get(order)).toEqual({ version: versions.get(order), fields });
        },
      ),
    );
  });
});

describe('resume history', () => {
  const d = (orderId: string, version: number, deleted = false): OrderDelta => ({ orderId, fromVersion: version - 1, version, fields: { v: version }, deleted });

  it('answers the contiguous changes since a version, [] when up to date, null when not all known', () => {
    const history = createChangeHistory({ perOrder: 4, maxEntries: 100 });
    for (let v = 1; v <= 6; v++) history.record(d('A', v));
    expect(history.since('A', 6, 6)).toEqual([]);
    expect(history.since('A', 3, 6)!.map((x) => x.version)).toEqual([4, 5, 6]);
    expect(history.since('A', 2, 6)!.map((x) => x.version)).toEqual([3, 4, 5, 6]);
    expect(history.since('A', 1, 6)).toBeNull();
    expect(history.since('A', 3, 7)).toBeNull();
    expect(history.since('A', 7, 6)).toBeNull();
    expect(history.since('B', 0, 1)).toBeNull();
    expect(history.size).toBe(4);
  });

  it('starts over when versions jump (the order was rebuilt elsewhere), and remembers a delete', () => {
    const history = createChangeHistory({ perOrder: 8, maxEntries: 100 });
    history.record(d('A', 1));
    history.record(d('A', 2));
    history.record(d('A', 5));
    expect(history.since('A', 1, 5)).toBeNull();
    expect(history.since('A', 4, 5)!.map((x) => x.version)).toEqual([5]);
    history.record(d('A', 6, true));
    expect(history.latest('A')).toMatchObject({ version: 6, deleted: true });
  });

  it('forgets the least recently changed orders first when over its total bound', () => {
    const history = createChangeHistory({ perOrder: 4, maxEntries: 5 });
    history.record(d('A', 1));
    history.record(d('B', 1));
    history.record(d('A', 2));
    history.record(d('C', 1));
    history.record(d('C', 2));
    history.record(d('C', 3));
    expect(history.size).toBeLessThanOrEqual(5);
    expect(history.since('B', 0, 1)).toBeNull();
    expect(history.since('A', 0, 2)).toHaveLength(2);
    expect(history.since('C', 0, 3)).toHaveLength(3);
  });
});

describe('client message parser', () => {
  const parse = createClientMessageParser({ maxMessageBytes: 200, maxOrderIds: 2, maxVersions: 1 });

  it('accepts the three message types and fills in an empty filter', () => {
    expect(parse('{"type":"ping"}')).toEqual({ ok: true, message: { type: 'ping' } });
    expect(parse('{"type":"unsubscribe","id":3}')).toEqual({ ok: true, message: { type: 'unsubscribe', id: 3 } });
    expect(parse(Buffer.from('{"type":"subscribe","id":"a","versions":{"X":2}}'))).toEqual({
      ok: true,
      message: { type: 'subscribe', id: 'a', filter: {}, versions: { X: 2 } },
    });
  });

  it('refuses with the code and what was wrong', () => {
    const refusal = (text: string) => {
      const parsed = parse(text);
      if (parsed.ok) throw new Error(`accepted ${text}`);
      return parsed.problem;
    };
    expect(refusal('x'.repeat(201)).code).toBe('OL_ERR_WS_TOO_LARGE');
    expect(refusal('"ping"').code).toBe('OL_ERR_WS_MALFORMED');
    expect(refusal('{"type":"PING"}').code).toBe('OL_ERR_WS_UNKNOWN_TYPE');
    expect(refusal('{"type":"subscribe","id":"a","filter":{"order_ids":["1","2","3"]}}')).toMatchObject({ code: 'OL_ERR_WS_BAD_REQUEST', id: 'a' });
    expect(refusal('{"type":"subscribe","id":"a","versions":{"X":1,"Y":2}}').message).toMatch(/at most 1 entries/);
    expect(refusal('{"type":"subscribe","id":"a","filter":{"has_exception":"yes"}}').message).toMatch(/filter\.has_exception/);
    expect(refusal('{"type":"ping","extra":1}').code).toBe('OL_ERR_WS_BAD_REQUEST');
  });
});

describe('order filter', () => {
  const view = (overrides: Partial<GoldenView>) =>
    ({ order_id: 'A', customer: { id: 'C-1' }, channel: 'WEB', status: 'PAID', exceptions: [], ...overrides }) as GoldenView;

  it('requires every given condition; an empty filter matches every order and never a missing one', () => {
    expect(compileFilter({}).matches(view({}))).toBe(true);
    expect(compileFilter({}).matches(null)).toBe(false);
    const f = compileFilter({ order_ids: ['A'], customer_id: 'C-1', channel: 'WEB', status: ['PAID', 'CREATED'], has_exception: false });
    expect(f.matches(view({}))).toBe(true);
    expect(f.matches(view({ order_id: 'B' }))).toBe(false);
    expect(f.matches(view({ customer: null }))).toBe(false);
    expect(f.matches(view({ channel: 'APP' }))).toBe(false);
    expect(f.matches(view({ status: null }))).toBe(false);
    expect(f.matches(view({ exceptions: ['SHORT_PICK'] }))).toBe(false);
    expect(compileFilter({ has_exception: true }).matches(view({ exceptions: ['SHORT_PICK'] }))).toBe(true);
  });
});
