import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createGoldenStore,
  createLocalRouter,
  createShipmentLinker,
  type GoldenViewBody,
  type LinkInput,
} from '../../../src/golden/index.js';
import { createNormalizer, loadPipelines, type Normalizer } from '../../../src/normalize/index.js';
import { storeBodies } from '../../helpers/golden-derive.js';

const fixtures = fileURLToPath(new URL('../../fixtures/contract/', import.meta.url));
const pipelinesDir = fileURLToPath(new URL('../../../pipelines/', import.meta.url));
const EXAMPLES = ['six-orders-in-order', 'forty-orders-shuffled', 'hundred-twenty-orders-shuffled'];

interface ReplayLine {
  topic: string;
  value: unknown;
}

function readJsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

/** Replays an example through normalize → route → merge, as `orderlake replay` does. */
function replay(normalizer: Normalizer, lines: ReplayLine[]): Record<string, GoldenViewBody> {
  const overflow: LinkInput[] = [];
  const route = createLocalRouter(createShipmentLinker({ maxPending: 1_000_000, onOverflow: (input) => overflow.push(input) }));
  const store = createGoldenStore({ now: () => 0 });
  const offsets = new Map<string, number>();
  lines.forEach((line, index) => {
    const offset = offsets.get(line.topic) ?? 0;
    offsets.set(line.topic, offset + 1);
    const event = normalizer.normalize(line.topic, line.value, {
      topic: line.topic,
      partition: 0,
      offset: String(offset),
      timestamp: 0,
      line: index + 1,
    });
    if (event !== null) store.applyBatch(route(event, 0));
  });
  expect(overflow).toEqual([]);
  return storeBodies(store);
}

describe('contract examples', () => {
  let normalizer: Normalizer;
  beforeAll(async () => {
    normalizer = createNormalizer(await loadPipelines(pipelinesDir));
  });

  for (const name of EXAMPLES) {
    it(`${name} gives the golden views`, () => {
      const views = replay(normalizer, readJsonl<ReplayLine>(`${fixtures}${name}.jsonl`));
      const expected = readJsonl<Record<string, unknown> & { order_id: string }>(`${fixtures}${name}.golden.jsonl`);
      expect(Object.keys(views).sort()).toEqual(expected.map((v) => v.order_id).sort());
      for (const view of expected) expect(views[view.order_id], view.order_id).toStrictEqual(view);
    });
  }
});
