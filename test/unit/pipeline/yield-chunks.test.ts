import { describe, expect, it } from 'vitest';
import { inChunks } from '../../../src/pipeline/yield-chunks.js';

describe('inChunks', () => {
  it('covers every item once, in order, in slices of the given size', async () => {
    const items = Array.from({ length: 23 }, (_, i) => i);
    const slices = await inChunks(items, (slice) => [...slice], 5);
    expect(slices.map((s) => s.length)).toEqual([5, 5, 5, 5, 3]);
    expect(slices.flat()).toEqual(items);
  });

  it('gives the event loop back between slices', async () => {
    const seen: string[] = [];
    const done = inChunks([1, 2, 3], (slice) => seen.push(`slice ${slice[0]}`), 1);
    setImmediate(() => seen.push('other work'));
    await done;
    expect(seen.indexOf('other work')).toBeGreaterThan(0);
    expect(seen.indexOf('other work')).toBeLessThan(seen.length - 1);
  });

  it('does nothing for no items', async () => {
    expect(await inChunks([], () => 1)).toEqual([]);
  });
});
