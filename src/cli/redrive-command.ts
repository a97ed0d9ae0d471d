import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { redriveFilters, type RedriveSummary } from '../pipeline/redrive.js';
import { runRedrive } from '../runtime/redrive.js';

export const REDRIVE_HELP = `Usage: orderlake redrive --since TIME [--until TIME] [--code CODE] [--limit N] [--quiet]

Re-drives dead letters of the ingest stage (decode, normalize) through the CURRENT pipelines
(ORDERLAKE_PIPELINES_DIR): each one's original bytes are decoded and normalized again exactly as
ingest does. A cured one is applied once — Kafka mode (KAFKA_BROKERS): produced to <prefix>events
(and <prefix>links) for the running workers' merge, which de-duplicates by event identity;
embedded mode: merged into ORDERLAKE_DATA_DIR/lake (stop 'orderlake start' first, or use
POST /admin/dead-letters/redrive) — and marked cured in dead_letter_redrives with the time and the
pipelines' config_version. The others stay dead letters, with the code and reason they fail with
now. Link and merge dead letters, and those already cured, are skipped. Safe to stop and run again.
  --since TIME   dead-lettered at or after TIME: ISO 8601 (2026-11-21T08:00:00Z) or a duration
                 ago (30m, 2h, 7d)
  --until TIME   dead-lettered before TIME (default: now)
  --code CODE    only dead letters failing with CODE now (e.g. OL_ERR_NORMALIZE_MAPPING)
  --limit N      re-drive at most N dead letters this run
  --quiet        no progress lines
Prints progress on stderr and a summary (cured, still failing by code, skipped) on stdout.
Exit status: 0 done (some may still fail), 2 bad arguments, 1 the re-drive could not run.`;

function counts(byKey: Record<string, number>): string {
  const entries = Object.entries(byKey).sort(([a], [b]) => (a < b ? -1 : 1));
  return entries.length === 0 ? '0' : `${entries.reduce((n, [, v]) => n + v, 0)} (${entries.map(([k, v]) => `${k} ${v}`).join(', ')})`;
}

/** The summary printed at the end. */
export function formatRedriveSummary(s: RedriveSummary): string {
  return [
    `re-drive ${s.runId} with pipelines ${s.configVersion}`,
    `  selected       ${s.selected}`,
    `  cured          ${s.cured} (${s.appliedEvents} events applied)`,
    `  still failing  ${counts(s.stillFailing)}${s.codeChanged > 0 ? `; ${s.codeChanged} with a new code` : ''}`,
    `  skipped        ${counts(s.skipped)}`,
    s.limited ? '  stopped at --limit: run again for the rest' : '',
  ]
    .filter(Boolean)
    .join('\n');
}

export async function redriveCommand(config: Config, logger: Logger, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    allowPositionals: false,
    options: {
      since: { type: 'string' },
      until: { type: 'string' },
      code: { type: 'string' },
      limit: { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
  });
  const filters = redriveFilters(values, Date.now());
  if (typeof filters === 'string') {
    console.error(`orderlake redrive: ${filters}\n\n${REDRIVE_HELP}`);
    return 2;
  }
  const progress = values.quiet
    ? undefined
    : (s: Readonly<RedriveSummary>) => {
        const failing = Object.values(s.stillFailing).reduce((n, v) => n + v, 0);
        const skipped = Object.values(s.skipped).reduce((n, v) => n + v, 0);
        process.stderr.write(`re-drive: ${s.selected} looked at, ${s.cured} cured, ${failing} still failing, ${skipped} skipped\n`);
      };
  const summary = await runRedrive(config, logger, filters, progress);
  console.log(formatRedriveSummary(summary));
  return 0;
}
