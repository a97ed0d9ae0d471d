import { describe, expect, it } from 'vitest';
import { diffViews } from '../../../src/sandbox/view-diff.js';
import { orderFilter } from '../../../src/sandbox/index.js';

describe('diffViews', () => {
  it('lists each differing leaf with its path, ignoring version and updated_at', () => {
    const before = { order_id: 'A', version: 3, updated_at: 'x', status: 'PACKED', packed_at: '2026-01-01T00:00:00.000Z', fulfillments: [{ status: 'PACKED', tracking_no: null }], exceptions: [] };
    const after = { order_id: 'A', version: 9, updated_at: 'y', status: 'PICKED', packed_at: null, fulfillments: [{ status: 'PICKED', tracking_no: null }, { status: 'RELEASED', tracking_no: null }], exceptions: [] };
    expect(diffViews(before, after)).toEqual([
      { path: 'status', before: 'PACKED', after: 'PICKED' },
      { path: 'packed_at', before: '2026-01-01T00:00:00.000Z', after: null },
      { path: 'fulfillments[0].status', before: 'PACKED', after: 'PICKED' },
      { path: 'fulfillments[1]', before: undefined, after: { status: 'RELEASED', tracking_no: null } },
    ]);
  });

  it('gives one whole-view change when only one side has a view, and none for equal views', () => {
    expect(diffViews(null, { order_id: 'A' })).toEqual([{ path: '', before: undefined, after: { order_id: 'A' } }]);
    expect(diffViews({ order_id: 'A' }, null)).toEqual([{ path: '', before: { order_id: 'A' }, after: undefined }]);
    expect(diffViews(null, null)).toEqual([]);
    expect(diffViews({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }], version: 2 })).toEqual([]);
  });
});

describe('sandbox flags', () => {
  it('matches order ids exactly or by * pattern', () => {
    const accept = orderFilter('SO-000001, SO-01*')!;
    expect(accept('SO-000001')).toBe(true);
    expect(accept('SO-0100')).toBe(true);
    expect(accept('SO-000002')).toBe(false);
    expect(orderFilter('a.b*')!('axb')).toBe(false);
    expect(orderFilter(' , ')).toBeNull();
  });
});
