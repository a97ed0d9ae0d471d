import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatChaosTable, runChaos, type ChaosOptions } from './chaos-run.js';
import { REPO_ROOT } from '../helpers/pipeline-run.js';

/**
 * `npm run chaos`: the long chaos run (see chaos-run.ts). Settings from the environment:
 * CHAOS_ORDERS (7000 ≈ 100k events), CHAOS_WORKERS (3), CHAOS_KILLS (10), CHAOS_BROKER_RESTARTS (1),
 * CHAOS_SINK_OUTAGE_MS (30000), CHAOS_RATE (events/s, 500), CHAOS_BAD_INPUTS (200), CHAOS_SEED,
 * CHAOS_CLIENT (kafkajs|rdkafka). Prints the table and writes it, with the whole report as JSON,
 * to test/chaos/results/. Exits 1 when anything does not add up.
 */
function int(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new Error(`${name} must be a whole number, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

const client = process.env.CHAOS_CLIENT ?? 'kafkajs';
if (client !== 'kafkajs' && client !== 'rdkafka') throw new Error(`CHAOS_CLIENT must be kafkajs or rdkafka, got ${JSON.stringify(client)}`);
const options: ChaosOptions = {
  orders: int('CHAOS_ORDERS', 7000),
  workers: int('CHAOS_WORKERS', 3),
  kills: int('CHAOS_KILLS', 10),
  brokerRestarts: int('CHAOS_BROKER_RESTARTS', 1),
  sinkOutageMs: int('CHAOS_SINK_OUTAGE_MS', 30_000),
  rate: int('CHAOS_RATE', 500),
  badInputs: int('CHAOS_BAD_INPUTS', 200),
  seed: int('CHAOS_SEED', 20261202),
  kafkaClient: client,
  faultGapMs: int('CHAOS_FAULT_GAP_MS', 3000),
};
const report = await runChaos(options);
const table = formatChaosTable(report);
console.log(`\n${table}\n`);
const problems = [
  ...(report.mismatches > 0 ? [`${report.mismatches} golden views differ from the pure merge: ${report.mismatchExamples.join('; ')}`] : []),
  ...report.deadLettersWrong.slice(0, 10),
  ...(report.lake.rows !== report.lake.distinct ? [`the lake holds ${report.lake.rows - report.lake.distinct} doubled rows`] : []),
  ...(report.lake.distinct !== report.lake.expected ? [`the lake holds ${report.lake.distinct} distinct events, expected ${report.lake.expected}`] : []),
  ...(report.changelog.conflicts + report.changelog.regressions + report.changelog.behindTable > 0 ? [`golden changelog: ${report.changelog.examples.join('; ')}`] : []),
  ...(report.committedDuringOutage ? [`${report.committedDuringOutage} merge offsets were committed while ClickHouse was down`] : []),
  ...report.shutdownCodes.filter((c) => c !== 0).map((c) => `a worker exited with ${c} after SIGTERM`),
];
const dir = path.join(REPO_ROOT, 'test/chaos/results');
await mkdir(dir, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
await writeFile(path.join(dir, `chaos-${stamp}.json`), `${JSON.stringify(report, null, 2)}\n`);
await writeFile(path.join(dir, 'latest.md'), `${table}\n`);
if (problems.length > 0) {
  console.error(`chaos run FAILED:\n- ${problems.join('\n- ')}\nlogs: ${report.workDir}`);
  process.exit(1);
}
console.log(`chaos run passed; logs in ${report.workDir}`);
process.exit(0);
