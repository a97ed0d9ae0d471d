import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeResult, type BenchResult, type BenchRow } from './bench-result.js';
import { textTable } from './result-table.js';

/** True when the module at `moduleUrl` is the script node was started with (not imported). */
export function isMain(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(moduleUrl);
}

/**
 * Runs one benchmark as a script: times it, writes `results/<bench>.json`, prints its rows.
 * The runner starts every benchmark this way, in its own process (chDB allows one data directory
 * per process, and a fresh process keeps one benchmark's heap and JIT state out of the next).
 */
export async function runBenchMain<D>(bench: string, run: () => Promise<{ rows: BenchRow[]; details: D }>): Promise<void> {
  const started = performance.now();
  try {
    const { rows, details } = await run();
    const result: BenchResult<D> = {
      bench,
      when: new Date().toISOString(),
      node: process.version,
      seconds: Math.round((performance.now() - started) / 100) / 10,
      rows,
      details,
    };
    const file = writeResult(result);
    process.stdout.write(`\n${textTable(rows)}\n${bench}: ${result.seconds} s, written to ${path.relative(process.cwd(), file)}\n`);
  } catch (err) {
    process.stderr.write(`${bench} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  }
}

/** `--name value` or `--name=value` from the command line, as a number. */
export function numberArg(name: string, fallback: number): number {
  const argv = process.argv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === `--${name}` && argv[i + 1] !== undefined) return Number(argv[i + 1]);
    if (a.startsWith(`--${name}=`)) return Number(a.slice(name.length + 3));
  }
  const env = process.env[`BENCH_${name.toUpperCase().replaceAll('-', '_')}`];
  return env !== undefined && env !== '' ? Number(env) : fallback;
}

/** `--name value` / `--name=value` / `BENCH_NAME` as a string. */
export function stringArg(name: string, fallback: string): string {
  const argv = process.argv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === `--${name}` && argv[i + 1] !== undefined) return argv[i + 1]!;
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  const env = process.env[`BENCH_${name.toUpperCase().replaceAll('-', '_')}`];
  return env !== undefined && env !== '' ? env : fallback;
}

/** Progress for a human watching; stderr, so stdout stays the tables. */
export function progress(bench: string, message: string): void {
  process.stderr.write(`[${bench}] ${message}\n`);
}
