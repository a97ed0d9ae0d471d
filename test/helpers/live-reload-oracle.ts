import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import type { GoldenViewBody } from '../../src/golden/index.js';
import { createNormalizer, loadPipelines, type Normalizer, type SourcePosition } from '../../src/normalize/index.js';
import type { ReplayLine } from '../../src/simulator/index.js';
import { pureMergeWith, REPO_ROOT, stripVolatile } from './pipeline-run.js';

/**
 * The change the live-reload tests make mid-stream: a WMS status mapping (`PACKED` read as
 * `PICKED`), in `wms-fulfillment.yaml` of a pipelines folder.
 */
export const WMS_MAPPING_CHANGE = { file: 'wms-fulfillment.yaml', from: '      PACKED: PACKED', to: '      PACKED: PICKED' } as const;

/** Applies {@link WMS_MAPPING_CHANGE} to the file in `pipelinesDir`; fails when the mapping is not there. */
export async function changeWmsMapping(pipelinesDir: string): Promise<string> {
  const file = path.join(pipelinesDir, WMS_MAPPING_CHANGE.file);
  const text = await readFile(file, 'utf8');
  expect(text).toContain(WMS_MAPPING_CHANGE.from);
  await writeFile(file, text.replace(WMS_MAPPING_CHANGE.from, WMS_MAPPING_CHANGE.to));
  return file;
}

/**
 * The repository's pipelines before and after {@link WMS_MAPPING_CHANGE}, as normalizers of the
 * un-prefixed source topics the simulator's lines name: the oracle's two configurations.
 */
export async function oldAndNewNormalizers(): Promise<{ oldNormalizer: Normalizer; newNormalizer: Normalizer }> {
  const work = await mkdtemp(path.join(tmpdir(), 'orderlake-oracle-'));
  try {
    const changed = path.join(work, 'pipelines');
    await cp(path.join(REPO_ROOT, 'pipelines'), changed, { recursive: true, filter: (src) => !src.endsWith('.test.ts') });
    await changeWmsMapping(changed);
    return {
      oldNormalizer: createNormalizer(await loadPipelines(path.join(REPO_ROOT, 'pipelines'))),
      newNormalizer: createNormalizer(await loadPipelines(changed)),
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** What the pure merge makes of a stream whose events were normalized by different configuration versions. */
export interface RecordedVersionMerge {
  /** Every order with a view at the end, without `version` and `updated_at`. */
  views: Map<string, GoldenViewBody>;
  /** `order id NUL event uid` of every event routed to an order: what the lake must hold, once each. */
  eventIds: Set<string>;
}

/**
 * The oracle of live reload under load: the pure merge (normalize, link, merge; no I/O) of every
 * line, each normalized with the configuration version that `versionOf` says produced it — in the
 * tests, the version its lake row records. The merge does not depend on the order of events, so
 * the lines can be in production order whatever order the workers saw them in.
 */
export function mergeWithRecordedVersions(
  lines: readonly ReplayLine[],
  options: {
    /** The normalizer of each version that may be named. */
    normalizers: ReadonlyMap<string, Normalizer>;
    /** The version that normalized line `index`. */
    versionOf: (index: number, line: ReplayLine) => string;
    /** Line `index`'s source position (default: its position within its topic, partition 0). */
    positionOf?: (index: number, line: ReplayLine) => SourcePosition;
  },
): RecordedVersionMerge {
  const { views, eventIds } = pureMergeWith(lines, {
    normalizerOf: (i, line) => {
      const version = options.versionOf(i, line);
      const normalizer = options.normalizers.get(version);
      if (normalizer === undefined) throw new Error(`line ${i} (${line.topic}) is recorded with version '${version}', which is none of ${[...options.normalizers.keys()].join(', ')}`);
      return normalizer;
    },
    ...(options.positionOf ? { positionOf: options.positionOf } : {}),
  });
  return { views, eventIds };
}

/** The golden table (as `readGoldenTable` gives it) holds exactly the oracle's orders, each equal to its view. */
export function expectGoldenEqualsOracle(golden: ReadonlyMap<string, Record<string, unknown>>, expected: ReadonlyMap<string, GoldenViewBody>): void {
  expect([...golden.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [id, view] of golden) expect([id, stripVolatile(view)]).toEqual([id, expected.get(id)]);
}

/** Orders of `golden` whose view differs from `other`'s: where a configuration change showed. */
export function ordersDiffering(golden: ReadonlyMap<string, unknown>, views: ReadonlyMap<string, GoldenViewBody>, other: ReadonlyMap<string, GoldenViewBody>): string[] {
  return [...golden.keys()].filter((id) => JSON.stringify(other.get(id)) !== JSON.stringify(views.get(id)));
}
