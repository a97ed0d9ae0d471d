import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { routeEvent, type LinkInput } from '../../../src/golden/index.js';
import {
  CANONICAL_FIELDS,
  createNormalizer,
  loadPipelines,
  type CanonicalEvent,
  type CanonicalFieldSpec,
  type Normalizer,
  type SourcePosition,
  type TmsEvent,
  type WmsEvent,
} from '../../../src/normalize/index.js';
import {
  AVRO_FORMAT_BYTE,
  AVRO_HEADER_SIZE,
  decodeEventMessage,
  decodeLinkMessage,
  encodeEventMessage,
  encodeLinkMessage,
  type EventMessage,
  type LinkMessage,
} from '../../../src/pipeline/internal-messages.js';
import { generateScenario as simulate } from '../../../src/simulator/index.js';
import { crmCase, crmLine, crmOrder, crmOrderDelete, T0, tms, wms } from '../../helpers/golden-events.js';
import { generateScenario } from '../../helpers/golden-scenario.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** What the JSON v1 path delivered for a message: the reference every decode is held to. */
function viaJson<T extends object>(message: T): { v: 1 } & T {
  return JSON.parse(JSON.stringify({ v: 1, ...message })) as { v: 1 } & T;
}

function position(i: number, withLine: boolean): SourcePosition {
  return {
    topic: ['crm.public.orders', 'wms.fulfillment.events', 'tms.tracking.events'][i % 3]!,
    partition: i % 12,
    offset: String(1_000_000 + i),
    timestamp: T0 + i,
    ...(withLine ? { line: i + 1 } : {}),
  };
}

interface Messages {
  events: Array<Omit<EventMessage, 'v'>>;
  links: Array<Omit<LinkMessage, 'v'>>;
}

/** The messages the ingest worker would write for these events (and the link worker, for facts without a position). */
function messagesOf(events: readonly CanonicalEvent[], withLines: boolean): Messages {
  const out: Messages = { events: [], links: [] };
  events.forEach((event, i) => {
    const at = position(i, withLines && i % 2 === 0);
    const { direct, link } = routeEvent(event, T0 + 7 * i);
    for (const r of direct) out.events.push({ orderId: r.orderId, event: r.event, position: at });
    // A TMS event that waited in the linker reaches its order under the order the linker found.
    if (event.kind === 'tms' && direct.length === 0) out.events.push({ orderId: `SO-linked-${i}`, event, position: at });
    for (const input of link) out.links.push(i % 3 === 0 ? { input } : { input, position: at });
  });
  return out;
}

function roundtrip(messages: Messages) {
  const events = messages.events.map((m) => encodeEventMessage(m));
  const links = messages.links.map((m) => encodeLinkMessage(m));
  return {
    formats: new Set([...events, ...links].map((b) => b[0])),
    events: events.map((b) => decodeEventMessage(b)),
    links: links.map((b) => decodeLinkMessage(b)),
  };
}

function expectRoundtrip(messages: Messages): void {
  const decoded = roundtrip(messages);
  // Every message went as Avro: a field the schema could not carry would have fallen back to JSON.
  // (A scenario may have no message at all: some seeds give an order no event.)
  expect([...decoded.formats].filter((f) => f !== AVRO_FORMAT_BYTE)).toEqual([]);
  // toStrictEqual: plain objects, no `undefined` where JSON had nothing, nothing JSON had missing.
  expect(decoded.events).toStrictEqual(messages.events.map(viaJson));
  expect(decoded.links).toStrictEqual(messages.links.map(viaJson));
}

let normalizer: Normalizer;

beforeAll(async () => {
  normalizer = createNormalizer(await loadPipelines(path.join(REPO_ROOT, 'pipelines')));
});

/** Canonical events as normalize makes them from the simulator's reference traffic. */
function simulatedEvents(seed: number, orders: number): CanonicalEvent[] {
  const events: CanonicalEvent[] = [];
  simulate({ seed, orders, startTime: T0, shuffle: 'window' }).forEach((line, i) => {
    const event = normalizer.normalize(line.topic, line.value, { topic: line.topic, partition: 0, offset: String(i), timestamp: line.timestamp ?? 0 });
    if (event !== null) events.push(event);
  });
  return events;
}

const SAMPLE_VALUES: Record<CanonicalFieldSpec['kind'], (name: string) => unknown> = {
  string: (name) => `${name}-值-✓`,
  decimal: () => '1234.50',
  integer: () => 2_147_483_648_123,
  timestamp: () => T0 + 123,
  boolean: () => true,
};

/** An event of `kind` with every canonical field set from the normalize tables: all nulls, or none. */
function everyField(kind: 'wms' | 'tms', nulls: boolean): CanonicalEvent {
  const event: Record<string, unknown> = { kind, source: kind };
  for (const [name, spec] of Object.entries(CANONICAL_FIELDS[kind])) event[name] = nulls && spec.nullable ? null : SAMPLE_VALUES[spec.kind](name);
  return event as unknown as CanonicalEvent;
}

function imageOf(kind: 'crm_order' | 'crm_line' | 'crm_case', nulls: boolean): Record<string, unknown> {
  const image: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(CANONICAL_FIELDS[kind])) image[name] = nulls && spec.nullable ? null : SAMPLE_VALUES[spec.kind](name);
  return image;
}

describe('internal messages: Avro roundtrip', () => {
  it('every kind, delete, null and non-null field, position with and without line', () => {
    const crm = { source: 'crm', lsn: 9_007_199_254_740_000, ts_ms: T0, order_id: 'SO-1' } as const;
    const events: CanonicalEvent[] = [];
    for (const nulls of [true, false]) {
      events.push(everyField('wms', nulls), everyField('tms', nulls));
      events.push({ ...crm, kind: 'crm_order', op: 'u', row_version: 3, image: imageOf('crm_order', nulls) } as unknown as CanonicalEvent);
      events.push({ ...crm, kind: 'crm_line', op: 'r', line_no: 2, image: imageOf('crm_line', nulls) } as unknown as CanonicalEvent);
      events.push({ ...crm, kind: 'crm_case', op: 'c', case_id: 'AS-1', image: imageOf('crm_case', nulls) } as unknown as CanonicalEvent);
    }
    events.push(crmOrderDelete('SO-1', 5, T0), crmOrderDelete('SO-1', 6, T0, 4));
    events.push(crmLine({ line_no: 1 }, { lsn: 7, op: 'd' }), crmCase({ case_id: 'AS-2' }, { lsn: 8, op: 'd' }));
    events.push(crmOrder({ gift_order: true, buyer_note: '', ship_postcode: null }), wms('SHIPPED', T0, { event_id: 'e1', tracking_no: 'SF1', carrier: 'SF' }));
    events.push(tms('DELIVERED', T0, { event_id: 'e2', order_ref: null, fulfillment_ref: 'FF-1' }));
    expectRoundtrip(messagesOf(events, true));
    expectRoundtrip(messagesOf(events, false));
  });

  it('every LinkInput variant, with and without a position', () => {
    const event = tms('IN_TRANSIT', T0, { event_id: 'e9', order_ref: null }) as TmsEvent;
    const inputs: LinkInput[] = [
      { type: 'fact', key: 'tn:SF1', orderId: 'SO-1' },
      { type: 'fact', key: 'ff:FF-1', orderId: 'SO-1' },
      { type: 'tms', key: 'tn:SF1', event, receivedAt: T0 + 5 },
    ];
    const links = inputs.flatMap((input, i) => [{ input }, { input, position: position(i, false) }, { input, position: position(i, true) }]);
    expectRoundtrip({ events: [], links });
  });

  it('golden scenarios of any seed: decoded equals what JSON delivered', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 6 }), fc.boolean(), (seed, orders, withLines) => {
        expectRoundtrip(messagesOf(generateScenario(seed, orders), withLines));
      }),
      { numRuns: 200 },
    );
  });

  it("the simulator's reference traffic of any seed, normalized: decoded equals what JSON delivered", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.boolean(), (seed, withLines) => {
        expectRoundtrip(messagesOf(simulatedEvents(seed, 25), withLines));
      }),
      { numRuns: 25 },
    );
  });

  it('the generated events cover every kind, deletes, and both sides of every nullable field', () => {
    const events = [...Array.from({ length: 40 }, (_, seed) => generateScenario(seed, 4)).flat(), ...simulatedEvents(1, 300)];
    const kinds = new Set(events.map((e) => e.kind));
    expect([...kinds].sort()).toEqual(['crm_case', 'crm_line', 'crm_order', 'tms', 'wms']);
    for (const kind of ['crm_order', 'crm_line', 'crm_case'] as const) {
      expect(events.some((e) => e.kind === kind && e.image === null)).toBe(true);
      expect(events.some((e) => e.kind === kind && e.image !== null)).toBe(true);
    }
    // A field the roundtrip only ever saw null would not prove its value travels.
    const neverSet: string[] = [];
    for (const kind of ['crm_order', 'crm_line', 'crm_case', 'wms', 'tms'] as const) {
      const values = events
        .filter((e) => e.kind === kind)
        .map((e) => ('image' in e ? e.image : e) as unknown as Record<string, unknown> | null)
        .filter((v) => v !== null);
      for (const [name, spec] of Object.entries(CANONICAL_FIELDS[kind])) {
        if (!values.some((v) => v[name] !== null && v[name] !== undefined)) neverSet.push(`${kind}.${name}`);
        if (spec.nullable && !values.some((v) => v[name] === null)) neverSet.push(`${kind}.${name} = null`);
      }
    }
    expect(neverSet).toEqual([]);
  });

  it('a field the schema does not know is noticed by the roundtrip', () => {
    const event = { ...wms('PACKED', T0, { event_id: 'e3' }), dock_door: 'D7' } as CanonicalEvent;
    const message = { orderId: 'SO-1', event, position: position(0, false) };
    expect(decodeEventMessage(encodeEventMessage(message))).not.toStrictEqual(viaJson(message));
  });

  it('a value the schema cannot carry goes as JSON v1 and still arrives intact', () => {
    const event = crmLine({ line_no: 1, quantity: 1.5 }, { lsn: 3 });
    const message = { orderId: 'SO-1', event, position: position(0, true) };
    const encoded = encodeEventMessage(message);
    expect(encoded[0]).toBe(0x7b);
    expect(decodeEventMessage(encoded)).toStrictEqual(viaJson(message));
  });

  it('keeps the key order the JSON path had', () => {
    const [event] = simulatedEvents(3, 1);
    const message = { orderId: 'SO-1', event: event!, position: position(1, true) };
    expect(JSON.stringify(decodeEventMessage(encodeEventMessage(message)))).toBe(JSON.stringify({ v: 1, ...message }));
  });
});

describe('internal messages: JSON v1 from older versions', () => {
  it('still decodes event and link messages written by the JSON encoder', () => {
    const event =
      '{"v":1,"orderId":"SO-7","event":{"kind":"wms","source":"wms","event_id":"w-1","event_type":"SHIPPED","occurred_at":1795046400000,' +
      '"warehouse_id":"WH-1","fulfillment_id":"FF-7-1","order_id":"SO-7","carrier":"SF","tracking_no":"SF7","reason":null,"store_id":null},' +
      '"position":{"topic":"wms.fulfillment.events","partition":3,"offset":"42","timestamp":1795046400005}}';
    expect(decodeEventMessage(Buffer.from(event))).toStrictEqual(JSON.parse(event));
    const fact = '{"v":1,"input":{"type":"fact","key":"tn:SF7","orderId":"SO-7"}}';
    expect(decodeLinkMessage(Buffer.from(fact))).toStrictEqual(JSON.parse(fact));
    const waiting =
      '{"v":1,"input":{"type":"tms","key":"tn:SF7","event":{"kind":"tms","source":"tms","event_id":"t-1","tracking_no":"SF7","carrier":"SF",' +
      '"fulfillment_ref":null,"order_ref":null,"event_code":"PICKED_UP","occurred_at":1795046400000,"location":"上海","eta":null,"exception_code":null},' +
      '"receivedAt":1795046400009},"position":{"topic":"tms.tracking.events","partition":0,"offset":"9","timestamp":1795046400001,"line":12}}';
    expect(decodeLinkMessage(Buffer.from(waiting))).toStrictEqual(JSON.parse(waiting));
  });

  it("writes JSON v1 when told to (ORDERLAKE_INTERNAL_FORMAT=json, for readers of earlier versions)", () => {
    const messages = messagesOf(generateScenario(12, 3), true);
    for (const m of messages.events) {
      const written = encodeEventMessage(m, 'json');
      expect(written[0]).toBe(0x7b);
      expect(JSON.parse(written.toString('utf8'))).toStrictEqual(JSON.parse(JSON.stringify({ v: 1, ...m })));
      expect(decodeEventMessage(written)).toStrictEqual(decodeEventMessage(encodeEventMessage(m)));
    }
    for (const m of messages.links) {
      const written = encodeLinkMessage(m, 'json');
      expect(written[0]).toBe(0x7b);
      expect(decodeLinkMessage(written)).toStrictEqual(decodeLinkMessage(encodeLinkMessage(m)));
    }
  });

  it('a topic with both formats reads alike', () => {
    const messages = messagesOf(generateScenario(11, 3), true);
    const json = messages.events.map((m) => Buffer.from(JSON.stringify({ v: 1, ...m })));
    const avro = messages.events.map((m) => encodeEventMessage(m));
    expect(avro.map((b) => decodeEventMessage(b))).toStrictEqual(json.map((b) => decodeEventMessage(b)));
  });
});

describe('internal messages: unreadable input throws', () => {
  const message = { orderId: 'SO-1', event: wms('SHIPPED', T0, { event_id: 'e1', tracking_no: 'SF1', carrier: 'SF' }), position: position(4, true) };
  const valid = encodeEventMessage(message);

  it('an empty value', () => {
    expect(() => decodeEventMessage(Buffer.alloc(0))).toThrow(/empty event message/);
    expect(() => decodeLinkMessage(Buffer.alloc(0))).toThrow(/empty link message/);
  });

  it('an unknown first byte, a Confluent frame among them', () => {
    for (const first of [0x00, 0x01, 0x20, 0x5b, 0x22, 0xc0, 0xff]) {
      const value = Buffer.from(valid);
      value[0] = first;
      expect(() => decodeEventMessage(value)).toThrow(/not an orderlake event message: first byte 0x/);
    }
  });

  it('every truncation of a valid message, and trailing bytes', () => {
    for (let length = 0; length < valid.length; length++) {
      expect(() => decodeEventMessage(valid.subarray(0, length)), `first ${length} of ${valid.length} bytes`).toThrow(Error);
    }
    expect(() => decodeEventMessage(valid.subarray(0, 3))).toThrow(/truncated event message/);
    expect(() => decodeEventMessage(Buffer.concat([valid, Buffer.from([0])]))).toThrow(/unreadable Avro event message/);
  });

  it('another schema: a link message read as an event message, or a changed layout', () => {
    const link = encodeLinkMessage({ input: { type: 'fact', key: 'tn:SF1', orderId: 'SO-1' } });
    expect(() => decodeEventMessage(link)).toThrow(/event message written with Avro schema 0x[0-9a-f]{8}, this version reads 0x[0-9a-f]{8}/);
    expect(() => decodeLinkMessage(valid)).toThrow(/link message written with Avro schema/);
    const other = Buffer.from(valid);
    other.writeUInt32BE((other.readUInt32BE(1) ^ 1) >>> 0, 1);
    expect(() => decodeEventMessage(other)).toThrow(/written with Avro schema/);
  });

  it('a corrupt Avro body', () => {
    const header = valid.subarray(0, AVRO_HEADER_SIZE);
    // orderId "SO-1", then union branch 40 of 5.
    const badBranch = Buffer.concat([header, Buffer.from([8]), Buffer.from('SO-1'), Buffer.from([80])]);
    expect(() => decodeEventMessage(badBranch)).toThrow(/unreadable Avro event message/);
  });

  it('bad JSON, or JSON that is not a v1 message', () => {
    expect(() => decodeEventMessage(Buffer.from('{"v":1,'))).toThrow(/unreadable JSON event message/);
    expect(() => decodeEventMessage(Buffer.from('{"v":2,"orderId":"SO-1","event":{}}'))).toThrow(/not an orderlake event message \(v1\)/);
    expect(() => decodeLinkMessage(Buffer.from('{"v":1,"input":null}'))).toThrow(/not an orderlake link message \(v1\)/);
  });

  it('random bytes throw an Error; random bytes after a valid header never crash the reader', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const value = Buffer.from(bytes);
        if (value[0] !== AVRO_FORMAT_BYTE && value[0] !== 0x7b) expect(() => decodeEventMessage(value)).toThrow(Error);
        const framed = Buffer.concat([valid.subarray(0, AVRO_HEADER_SIZE), value]);
        try {
          expect(decodeEventMessage(framed).v).toBe(1);
        } catch (err) {
          expect(err).toBeInstanceOf(Error);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('internal messages: size', () => {
  it('a typical event is far smaller as Avro than as JSON', () => {
    const events = simulatedEvents(5, 40);
    const typical = events.find((e): e is WmsEvent => e.kind === 'wms' && e.event_type === 'SHIPPED' && e.tracking_no !== null)!;
    const message = { orderId: typical.order_id, event: typical, position: position(1, false) };
    const avro = encodeEventMessage(message).length;
    const json = Buffer.byteLength(JSON.stringify({ v: 1, ...message }));
    expect(avro).toBeLessThan(json * 0.5);

    const all = messagesOf(events, false).events;
    const avroTotal = all.reduce((n, m) => n + encodeEventMessage(m).length, 0);
    const jsonTotal = all.reduce((n, m) => n + Buffer.byteLength(JSON.stringify({ v: 1, ...m })), 0);
    expect(avroTotal).toBeLessThan(jsonTotal * 0.5);
    for (const m of all) expect(encodeEventMessage(m).length).toBeLessThan(Buffer.byteLength(JSON.stringify({ v: 1, ...m })));
  });
});
