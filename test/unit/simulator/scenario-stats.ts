import type { ReplayLine } from '../../../src/simulator/index.js';

export type Json = Record<string, unknown>;

export function value(line: ReplayLine): Json {
  return line.value as Json;
}

/** The identity of a line's content, so that redeliveries (same content) can be told apart. */
export function contentKey(line: ReplayLine): string {
  return JSON.stringify([line.topic, line.key, line.value]);
}

/** The lines with redeliveries removed (first delivery kept). */
export function firstDeliveries(lines: readonly ReplayLine[]): ReplayLine[] {
  const seen = new Set<string>();
  return lines.filter((line) => {
    const key = contentKey(line);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function isCrm(line: ReplayLine): boolean {
  return line.topic.startsWith('crm.');
}

export function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}
