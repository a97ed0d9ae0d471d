import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BinaryHeap } from '../../../src/health/binary-heap.js';

describe('the binary heap', () => {
  it('pops in order, whatever the pushes', () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), fc.array(fc.integer()), (first, second) => {
        const heap = new BinaryHeap<number>((a, b) => a < b);
        const popped: number[] = [];
        for (const n of first) heap.push(n);
        for (let i = 0; i < first.length / 2; i++) popped.push(heap.pop() as number);
        for (const n of second) heap.push(n);
        while (heap.size > 0) popped.push(heap.pop() as number);
        const half = [...first].sort((a, b) => a - b).slice(0, Math.ceil(first.length / 2));
        expect(popped.slice(0, half.length)).toEqual(half);
        expect([...popped].sort((a, b) => a - b)).toEqual([...first, ...second].sort((a, b) => a - b));
        expect(heap.pop()).toBeUndefined();
      }),
    );
  });
});
