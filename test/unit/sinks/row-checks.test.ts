import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_ENCODING, GOLDEN_ENCODING, LAKE_ENCODING, PENDING_SHIPMENT_ENCODING } from '../../../src/sinks/index.js';
import { deadLetterRow, deletedRow, goldenRow, lakeRow, pendingRow } from '../../helpers/clickhouse-rows.js';

describe('row checks', () => {
  it('accept well-formed rows of every table', () => {
    expect(LAKE_ENCODING.check(lakeRow('SO-1', 1))).toBeUndefined();
    expect(GOLDEN_ENCODING.check(goldenRow('SO-1', 1))).toBeUndefined();
    expect(GOLDEN_ENCODING.check(deletedRow('SO-1', 2))).toBeUndefined();
    expect(DEAD_LETTER_ENCODING.check(deadLetterRow(1))).toBeUndefined();
    expect(DEAD_LETTER_ENCODING.check(deadLetterRow(1, { partition: -1, offset: '-1' }))).toBeUndefined();
    expect(PENDING_SHIPMENT_ENCODING.check(pendingRow('SF1', 1))).toBeUndefined();
  });

  it('name the first field that would make ClickHouse reject the insert', () => {
    expect(LAKE_ENCODING.check(lakeRow('SO-1', 1, { offset: 'abc' }))).toBe('offset = "abc"');
    expect(LAKE_ENCODING.check(lakeRow('SO-1', 1, { owner_partition: 70_000 }))).toBe('owner_partition = 70000');
    expect(LAKE_ENCODING.check(lakeRow('SO-1', 1, { event_time: Number.NaN }))).toBe('event_time = null');
    expect(GOLDEN_ENCODING.check(goldenRow('SO-1', 1, { version: -1 }))).toBe('version = -1');
    expect(GOLDEN_ENCODING.check(goldenRow('SO-1', 1, { tracking_nos: [1 as unknown as string] }))).toBe('tracking_nos = [1]');
    expect(DEAD_LETTER_ENCODING.check(deadLetterRow(1, { id: 'not-a-uuid' }))).toBe('id = "not-a-uuid"');
    expect(PENDING_SHIPMENT_ENCODING.check(pendingRow('SF1', 1, { resolved: 2 as 0 }))).toBe('resolved = 2');
    const { payload: _dropped, ...noPayload } = lakeRow('SO-1', 1);
    expect(LAKE_ENCODING.check(noPayload as never)).toBe('payload = undefined');
  });
});
