/** An entry ordered by time, then by order number, then by its sequence within the order. */
export interface QueueEntry {
  at: number;
  orderNo: number;
  seq: number;
}

function before(a: QueueEntry, b: QueueEntry): boolean {
  return a.at < b.at || (a.at === b.at && (a.orderNo < b.orderNo || (a.orderNo === b.orderNo && a.seq < b.seq)));
}

/**
 * A binary min-heap of pending source events. The total order (time, order, sequence) makes the
 * emission order, and with it every `lsn`, a pure function of the seed.
 */
export class EventQueue<T extends QueueEntry> {
  private readonly heap: T[] = [];

  get size(): number {
    return this.heap.length;
  }

  peek(): T | undefined {
    return this.heap[0];
  }

  push(entry: T): void {
    const heap = this.heap;
    heap.push(entry);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!before(entry, heap[parent] as T)) break;
      heap[index] = heap[parent] as T;
      index = parent;
    }
    heap[index] = entry;
  }

  pop(): T | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && before(heap[right] as T, heap[left] as T) ? right : left;
      if (!before(heap[child] as T, last)) break;
      heap[index] = heap[child] as T;
      index = child;
    }
    heap[index] = last;
    return top;
  }
}
