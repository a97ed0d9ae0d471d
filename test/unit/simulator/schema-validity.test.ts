import { describe, expect, it } from 'vitest';
import { generateScenario, TOPICS, WRITER_SCHEMAS, type ReplayLine } from '../../../src/simulator/index.js';
import { schemaProblem } from './writer-schemas.js';
import { isCrm, value, type Json } from './scenario-stats.js';

const lines = generateScenario({ seed: 20_261_118, orders: 1200, startTime: Date.UTC(2026, 10, 18, 3), shuffle: 'full' });

const ZONED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

const SCHEMAS_BY_TOPIC: Record<string, readonly string[]> = {
  [TOPICS.orders]: [WRITER_SCHEMAS.orders],
  [TOPICS.orderLines]: [WRITER_SCHEMAS.orderLines],
  [TOPICS.afterSales]: [WRITER_SCHEMAS.afterSales],
  [TOPICS.wms]: [WRITER_SCHEMAS.wmsV1, WRITER_SCHEMAS.wmsV2],
  [TOPICS.tms]: [WRITER_SCHEMAS.tms],
};

function images(line: ReplayLine): Json[] {
  if (!isCrm(line) || line.value === null) return [];
  return [value(line).before, value(line).after].filter((image): image is Json => image !== null);
}

describe('simulated values against their writer schemas', () => {
  it('covers more than 20,000 events', () => {
    expect(lines.length).toBeGreaterThan(20_000);
  });

  it('encodes every value with its writer schema (decimals canonical at scale 2)', () => {
    const problems = lines.map((line, index) => ({ index, schema: line.schema, problem: schemaProblem(line) })).filter((entry) => entry.problem !== undefined);
    expect(problems.slice(0, 5)).toEqual([]);
  });

  it('writes each topic with its own writer schemas only', () => {
    for (const line of lines) expect(SCHEMAS_BY_TOPIC[line.topic]).toContain(line.schema);
  });

  it('keys records as the source systems do', () => {
    for (const line of lines) {
      const v = line.value === null ? null : value(line);
      const image = v && isCrm(line) ? ((v.after ?? v.before) as Json) : null;
      switch (line.topic) {
        case TOPICS.orders:
          expect(Object.keys(line.key as Json)).toEqual(['order_id']);
          if (image) expect((line.key as Json).order_id).toBe(image.order_id);
          break;
        case TOPICS.orderLines:
          expect(Object.keys(line.key as Json)).toEqual(['order_id', 'line_no']);
          expect(Number.isInteger((line.key as Json).line_no)).toBe(true);
          if (image) expect(line.key).toEqual({ order_id: image.order_id, line_no: image.line_no });
          break;
        case TOPICS.afterSales:
          expect(Object.keys(line.key as Json)).toEqual(['case_id']);
          if (image) expect((line.key as Json).case_id).toBe(image.case_id);
          break;
        case TOPICS.wms:
          expect(line.key).toBe(v?.fulfillment_id);
          break;
        case TOPICS.tms:
          expect(line.key).toBe(v?.tracking_no);
          break;
        default:
          throw new Error(`unexpected topic ${line.topic}`);
      }
    }
  });

  it('renders ZonedTimestamp columns as ISO-8601 with Z or an offset and MicroTimestamp in microseconds', () => {
    for (const line of lines) {
      for (const image of images(line)) {
        expect(image.updated_at).toMatch(ZONED);
        if ('created_at' in image) expect(image.created_at).toMatch(ZONED);
        if (image.paid_at !== undefined && image.paid_at !== null) expect(image.paid_at).toMatch(ZONED);
        const promised = image.promised_delivery_at;
        if (promised !== undefined && promised !== null) expect(promised).toBeGreaterThan(1e15);
      }
    }
  });

  it('writes timestamp-millis fields as epoch milliseconds', () => {
    for (const line of lines) {
      if (line.value === null || isCrm(line)) continue;
      const v = value(line);
      expect(v.occurred_at).toBeGreaterThan(1e12);
      expect(v.occurred_at).toBeLessThan(1e13);
      if (v.eta !== undefined && v.eta !== null) expect(v.eta).toBeLessThan(1e13);
    }
  });

  it('sends tombstones only on CRM topics', () => {
    const tombstones = lines.filter((line) => line.value === null);
    expect(tombstones.length).toBeGreaterThan(0);
    for (const line of tombstones) expect(isCrm(line)).toBe(true);
  });
});
