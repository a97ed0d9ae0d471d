/**
 * `npm run bench [-- NAME...] [-- --profile]`: runs the benchmark suite (or the named benchmarks),
 * each in a process of its own and each bounded in time, then prints one combined table and writes
 * `test/bench/results/SUMMARY.md` (machine, load, table, notes). Every benchmark also leaves its
 * own `results/<name>.json`. Benchmarks are kept out of `npm test`: they take minutes and their
 * figures depend on the machine. Options of a benchmark can be set as BENCH_<OPTION> variables
 * (e.g. BENCH_EVENTS=50000), which every benchmark reads.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RESULTS_DIR, REPO_ROOT, readResult, resultFile, row, type BenchResult, type BenchRow } from './support/bench-result.js';
import { formatSelfTime, type SelfTime } from './support/cpu-profile.js';
import { machineInfo, type MachineInfo } from './support/machine.js';
import { markdownTable, textTable } from './support/result-table.js';

/** The suite, cheapest first; each with the longest it may run before it is killed. */
const BENCHMARKS = [
  { name: 'hot-path', file: 'hot-path.bench.ts', limitMs: 10 * 60_000, what: 'decode + normalize + merge per core vs raw avsc decode' },
  { name: 'codec', file: 'codec.bench.ts', limitMs: 10 * 60_000, what: 'createAvroDecoder vs raw avsc decode' },
  { name: 'sink', file: 'sink.bench.ts', limitMs: 15 * 60_000, what: 'ClickHouse sink rows/s vs raw client.insert (chDB)' },
  { name: 'embedded', file: 'embedded.bench.ts', limitMs: 15 * 60_000, what: 'embedded runtime end to end + CLI replay' },
  { name: 'kafka', file: 'kafka.bench.ts', limitMs: 25 * 60_000, what: 'Kafka end to end, kafkajs and node-rdkafka, vs raw consume' },
  { name: 'latency', file: 'latency.bench.ts', limitMs: 25 * 60_000, what: 'source → WebSocket / ClickHouse latency under open-loop load' },
  { name: 'overload', file: 'overload.bench.ts', limitMs: 15 * 60_000, what: 'twice the sustainable rate for 60 s: worker memory, nothing lost, recovery' },
  { name: 'lookups', file: 'lookups.bench.ts', limitMs: 15 * 60_000, what: 'GET /orders/{id} while ingesting 5k events/s' },
  { name: 'cross-worker', file: 'cross-worker.bench.ts', limitMs: 10 * 60_000, what: 'source → WebSocket on a worker that does not own the order (two workers, shared ClickHouse) vs one worker' },
] as const;

type Name = (typeof BENCHMARKS)[number]['name'];

interface Outcome {
  name: Name;
  ok: boolean;
  seconds: number;
  result?: BenchResult;
  error?: string;
}

async function runOne(bench: (typeof BENCHMARKS)[number], extraArgs: string[]): Promise<Outcome> {
  const started = Date.now();
  const file = path.join(REPO_ROOT, 'test/bench', bench.file);
  process.stderr.write(`\n=== ${bench.name}: ${bench.what} ===\n`);
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...extraArgs], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'], env: process.env });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
  }, bench.limitMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  if (code === 0 && existsSync(resultFile(bench.name))) {
    const result = readResult(bench.name);
    if (Date.parse(result.when) >= started) return { name: bench.name, ok: true, seconds, result };
  }
  return { name: bench.name, ok: false, seconds, error: timedOut ? `killed after ${bench.limitMs / 60_000} min` : `exited with ${code}` };
}

function failedRow(o: Outcome): BenchRow {
  return row({ benchmark: o.name, metric: 'FAILED', value: null, unit: '', baseline: null, baselineLabel: '', target: '', met: false, note: o.error ?? '' });
}

function summaryMarkdown(machine: MachineInfo, loadAfter: number[], outcomes: Outcome[], rows: BenchRow[], totalSeconds: number, profile?: { totalMs: number; top: SelfTime[] }): string {
  const lines = [
    '# orderlake benchmark summary',
    '',
    `Written by \`npm run bench\` (test/bench/run.ts) from its last run; the raw figures are in \`test/bench/results/<name>.json\` (git-ignored).`,
    '',
    '## Machine',
    '',
    `- CPU: ${machine.cpu}, ${machine.cores} cores; RAM ${machine.ramGiB} GiB; ${machine.platform}`,
    `- Node ${machine.node}; run started ${machine.date}, took ${Math.round(totalSeconds)} s`,
    `- Load average (1/5/15 min) at the start: ${machine.loadavg.join(' / ')}; at the end: ${loadAfter.join(' / ')}` +
      (machine.cores <= 2 ? ' — a small machine shared with other work: the broker, the worker and the load generator compete for the same cores, so treat the figures as lower bounds and compare ratios rather than absolutes.' : ''),
    '',
    '## Results',
    '',
    'Ratio is always value / baseline; the baseline is the physical floor measured in the same run (see each benchmark file).',
    '',
    markdownTable(rows),
    '',
    '## Benchmarks in this run',
    '',
    ...outcomes.map((o) => {
      const bench = BENCHMARKS.find((b) => b.name === o.name)!;
      return `- \`${o.name}\` (${bench.file}): ${bench.what} — ${o.ok ? `${o.seconds} s` : `**failed**: ${o.error}`}`;
    }),
  ];
  if (profile) {
    lines.push(
      '',
      '## Hot path CPU profile (top self time)',
      '',
      `Three passes of decode + normalize + route + merge over the reference traffic, profiled through the inspector (${profile.totalMs} ms sampled; profiler overhead excluded):`,
      '',
      '```',
      formatSelfTime(profile.top),
      '```',
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The overload benchmark runs at twice the sustainable rate: the one the latency benchmark found
 * in this run, unless BENCH_SUSTAINABLE_RATE or BENCH_OVERLOAD_RATE says otherwise (then the
 * benchmark reads those itself; without either, it uses its own default and says so).
 */
function sustainableRateArgs(outcomes: Outcome[]): string[] {
  if (process.env.BENCH_SUSTAINABLE_RATE || process.env.BENCH_OVERLOAD_RATE) return [];
  const latency = outcomes.find((o) => o.name === 'latency' && o.ok)?.result;
  const rate = latency?.rows.find((r) => r.metric.startsWith('highest sustainable rate'))?.value;
  return rate ? ['--sustainable-rate', String(rate), '--sustainable-source', 'the latency benchmark of this run'] : [];
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const profile = args.includes('--profile');
  const names = args.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}\n`);
    process.exitCode = 2;
    return;
  }
  const selected = names.length > 0 ? BENCHMARKS.filter((b) => names.includes(b.name)) : [...BENCHMARKS];
  const machine = machineInfo();
  const started = Date.now();
  const outcomes: Outcome[] = [];
  let profileFile: string | undefined;
  for (const bench of selected) {
    const extra: string[] = [];
    if (bench.name === 'hot-path' && profile) {
      profileFile = path.join(mkdtempSync(path.join(tmpdir(), 'orderlake-bench-profile-')), 'hot-path.cpuprofile');
      extra.push('--profile', profileFile);
    }
    if (bench.name === 'overload') extra.push(...sustainableRateArgs(outcomes));
    outcomes.push(await runOne(bench, extra));
  }
  const rows = outcomes.flatMap((o) => (o.ok ? o.result!.rows : [failedRow(o)]));
  const totalSeconds = (Date.now() - started) / 1000;
  const hotPath = outcomes.find((o) => o.name === 'hot-path' && o.ok)?.result?.details as { profile?: { totalMs: number; top: SelfTime[] } } | undefined;
  process.stdout.write(`\n${textTable(rows)}\n`);
  if (hotPath?.profile) process.stdout.write(`\nhot path, top self time:\n${formatSelfTime(hotPath.profile.top.slice(0, 15))}\n`);
  const summary = path.join(RESULTS_DIR, 'SUMMARY.md');
  writeFileSync(summary, summaryMarkdown(machine, machineInfo().loadavg, outcomes, rows, totalSeconds, hotPath?.profile));
  process.stdout.write(`\n${outcomes.filter((o) => o.ok).length}/${outcomes.length} benchmarks ran in ${Math.round(totalSeconds)} s; summary in ${path.relative(process.cwd(), summary)}\n`);
  if (profileFile) process.stdout.write(`CPU profile of the hot path: ${profileFile} (open in Chrome DevTools → Performance)\n`);
  if (outcomes.some((o) => !o.ok)) process.exitCode = 1;
}

await main();
