import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file's place rather than the working directory. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Where every benchmark writes `<name>.json` (git-ignored) and the runner writes SUMMARY.md. */
export const RESULTS_DIR = path.join(REPO_ROOT, 'test/bench/results');

/**
 * One line of the combined table. `ratio` is always `value / baseline`, so a reader does not have
 * to know per row whether higher is better; the target text says which way the row must go.
 */
export interface BenchRow {
  benchmark: string;
  metric: string;
  value: number | null;
  unit: string;
  baseline: number | null;
  /** What the baseline is (raw avsc decode, raw insert, raw consume, ...). */
  baselineLabel: string;
  ratio: number | null;
  /** The target in words, or '' when the issue sets none. */
  target: string;
  /** null: no target, or the figure could not be measured. */
  met: boolean | null;
  note?: string;
}

/** What a benchmark leaves in `results/<bench>.json`: the table rows plus its own raw details. */
export interface BenchResult<D = unknown> {
  bench: string;
  when: string;
  node: string;
  seconds: number;
  rows: BenchRow[];
  details: D;
}

export function resultFile(bench: string): string {
  return path.join(RESULTS_DIR, `${bench}.json`);
}

export function writeResult(result: BenchResult): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = resultFile(result.bench);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

export function readResult(bench: string): BenchResult {
  return JSON.parse(readFileSync(resultFile(bench), 'utf8')) as BenchResult;
}

/** Builds a row; the ratio is derived so that every row computes it the same way. */
export function row(fields: Omit<BenchRow, 'ratio'> & { ratio?: number | null }): BenchRow {
  const ratio =
    fields.ratio !== undefined
      ? fields.ratio
      : fields.value !== null && fields.baseline !== null && fields.baseline !== 0
        ? round(fields.value / fields.baseline, 3)
        : null;
  return { ...fields, ratio };
}

export function round(value: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
