import { ERROR_CODES } from '../errors.js';
import type { DeadLetterRow, DeadLetterWithRedrives, RedriveRow, SelectionCursor } from '../sinks/index.js';
import type { IngestOutcome, Ingestor } from './ingest.js';
import { fromStoredBytes, type RawMessage } from './raw-message.js';
import { parseTimeArg, TIME_ARG_EXPECTED } from '../time-arg.js';

/**
 * The dead-letter stages a re-drive can cure: the ingest stage's (decode, normalize), whose input
 * is a source message kept byte for byte. The others are left as they are: `link` (a tracking event
 * pushed out of a full waiting area) and `merge` (an unreadable internal message, an order whose
 * stored state is gone) were rejected for reasons no pipeline change can cure, and `source` (a
 * malformed replay line) has no bytes to decode.
 */
export const REDRIVE_STAGES: ReadonlySet<string> = new Set(['codec', 'normalize']);

/** Why a selected dead letter was not re-driven. */
export type RedriveSkip = 'already_cured' | `stage_${string}`;

/** Whether a dead letter is a re-drive candidate, or why not. */
export function redriveCandidacy(row: Pick<DeadLetterWithRedrives, 'stage' | 'cured'>): 'candidate' | RedriveSkip {
  if (row.cured) return 'already_cured';
  if (!REDRIVE_STAGES.has(row.stage)) return `stage_${row.stage}`;
  return 'candidate';
}

/**
 * The source message a dead letter was made from, as the ingest stage received it. The stored key
 * and value are base64 (`''` for none). An empty value is a tombstone, unless the codec rejected it
 * (only a non-null value reaches the codec: an empty one is truncated). The Kafka timestamp is not
 * kept with a dead letter; the time it was dead-lettered (`at`) stands in for it.
 */
export function rawMessageOf(row: DeadLetterRow): RawMessage {
  // An empty value is a tombstone, unless the codec rejected it: then it was empty bytes.
  return fromStoredBytes({ ...row, timestamp: row.at, value: row.value === '' && row.stage !== 'codec' ? null : row.value });
}

/** Which dead letters a re-drive takes. Times are epoch ms. */
export interface RedriveFilters {
  /** Dead-lettered at or after this. */
  since: number;
  /** Dead-lettered before this (default: now). */
  until?: number;
  /** Only those failing with this code now. */
  code?: string;
  /** Re-drive at most this many candidates (the rest stay for the next run). */
  limit?: number;
}

/**
 * Checks the filters as given (CLI flags, API body fields); the filters, or what is wrong with
 * them. `name` says how a field is called where it came from (`--since`, `body/since`).
 */
export function redriveFilters(
  values: { since?: string | undefined; until?: string | undefined; code?: string | undefined; limit?: string | number | undefined },
  now: number,
  name: (field: string) => string = (field) => `--${field}`,
): RedriveFilters | string {
  const expected = TIME_ARG_EXPECTED;
  if (values.since === undefined) return `${name('since')} is required`;
  const since = parseTimeArg(values.since, now);
  if (since === null) return `${name('since')}: ${expected}, got '${values.since}'`;
  const until = values.until === undefined ? now : parseTimeArg(values.until, now);
  if (until === null) return `${name('until')}: ${expected}, got '${values.until}'`;
  if (until <= since) return `${name('until')} must be after ${name('since')}`;
  if (values.code !== undefined && !Object.hasOwn(ERROR_CODES, values.code)) return `${name('code')}: unknown error code '${values.code}' (see src/errors.ts)`;
  let limit: number | undefined;
  if (values.limit !== undefined) {
    limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1) return `${name('limit')} must be a positive integer`;
  }
  return { since, until, ...(values.code !== undefined ? { code: values.code } : {}), ...(limit !== undefined ? { limit } : {}) };
}

/** What a re-drive did. */
export interface RedriveSummary {
  runId: string;
  configVersion: string;
  /** Dead letters in the window (and with the code, when given) that were looked at. */
  selected: number;
  /** Decoded and normalized now, and applied (or a tombstone the pipeline now allows: nothing to apply). */
  cured: number;
  /** Of the cured, canonical events handed to the merge (Kafka: produced to `<prefix>events` / `<prefix>links`). */
  appliedEvents: number;
  /** Still failing, by the code they fail with now. */
  stillFailing: Record<string, number>;
  /** Of those still failing, how many fail with another code than before. */
  codeChanged: number;
  /** Not re-driven, by reason (`already_cured`, `stage_link`, `stage_merge`, `stage_source`). */
  skipped: Record<string, number>;
  /** True when `limit` stopped the run before the window was exhausted. */
  limited: boolean;
}

export interface RedriveDeps {
  /** The next page of the selection after `after` (oldest first by `(at, id)`), at most `limit` rows. */
  select(after: SelectionCursor | undefined, limit: number): Promise<DeadLetterWithRedrives[]>;
  /** The ingest stage of the current pipelines (decode + normalize), exactly as the workers run it. */
  ingestor: Ingestor;
  /**
   * Applies the cured messages like the ingest stage's output, resolving once it is acknowledged
   * (Kafka: produced with acks=all; embedded: the lake rows stored). Applying one twice must be
   * harmless: the merge de-duplicates by event identity.
   */
  apply(cured: ReadonlyArray<{ message: RawMessage; outcome: Extract<IngestOutcome, { type: 'event' | 'tombstone' }> }>): Promise<void>;
  /** Stores the attempts, once `apply` has resolved. */
  record(rows: RedriveRow[]): Promise<void>;
  runId: string;
  configVersion: string;
  now: () => number;
  /** Dead letters read per page. Default 500. */
  pageSize?: number;
  /** Candidates re-driven at most (the rest stay for the next run). */
  limit?: number;
  /** Called after every page with the running totals. */
  onProgress?(summary: Readonly<RedriveSummary>): void;
}

const DEFAULT_PAGE_SIZE = 500;

/**
 * Re-drives dead letters through the current pipelines, page by page: each candidate's original
 * bytes go through the ingest stage again; the cured ones are applied, and only then is each
 * attempt recorded (cured, or failing with its code and reason now). A run stopped anywhere leaves
 * at worst applied messages not yet marked cured: the next run applies them again, and the merge,
 * which de-duplicates by event identity, keeps them once.
 */
export async function redriveDeadLetters(deps: RedriveDeps): Promise<RedriveSummary> {
  const pageSize = deps.pageSize ?? DEFAULT_PAGE_SIZE;
  const summary: RedriveSummary = {
    runId: deps.runId,
    configVersion: deps.configVersion,
    selected: 0,
    cured: 0,
    appliedEvents: 0,
    stillFailing: {},
    codeChanged: 0,
    skipped: {},
    limited: false,
  };
  let after: SelectionCursor | undefined;
  let budget = deps.limit ?? Number.POSITIVE_INFINITY;
  for (;;) {
    const page = await deps.select(after, pageSize);
    if (page.length === 0) break;
    const candidates: DeadLetterWithRedrives[] = [];
    let taken = 0;
    for (const row of page) {
      if (budget - candidates.length <= 0) {
        summary.limited = true;
        break;
      }
      taken++;
      after = { at: row.at, id: row.id };
      summary.selected++;
      const candidacy = redriveCandidacy(row);
      if (candidacy === 'candidate') candidates.push(row);
      else summary.skipped[candidacy] = (summary.skipped[candidacy] ?? 0) + 1;
    }
    budget -= candidates.length;
    if (candidates.length > 0) await redrivePage(deps, candidates, summary);
    deps.onProgress?.(summary);
    if (summary.limited || taken < page.length || page.length < pageSize) break;
  }
  return summary;
}

async function redrivePage(deps: RedriveDeps, rows: readonly DeadLetterWithRedrives[], summary: RedriveSummary): Promise<void> {
  const messages = rows.map(rawMessageOf);
  const outcomes = await deps.ingestor.ingestBatch(messages);
  const cured: Array<{ message: RawMessage; outcome: Extract<IngestOutcome, { type: 'event' | 'tombstone' }> }> = [];
  const attempts: RedriveRow[] = [];
  const at = deps.now();
  outcomes.forEach((outcome, i) => {
    const row = rows[i]!;
    const attempt = { dead_letter_id: row.id, dead_letter_at: row.at, run_id: deps.runId, at, config_version: deps.configVersion };
    if (outcome.type === 'dead') {
      const { code, reason } = outcome.deadLetter;
      attempts.push({ ...attempt, outcome: 'failed', code, reason });
      summary.stillFailing[code] = (summary.stillFailing[code] ?? 0) + 1;
      if (code !== row.currentCode) summary.codeChanged++;
    } else {
      cured.push({ message: messages[i]!, outcome });
      attempts.push({ ...attempt, outcome: 'cured', code: '', reason: '' });
      summary.cured++;
      if (outcome.type === 'event') summary.appliedEvents++;
    }
  });
  if (cured.length > 0) await deps.apply(cured);
  await deps.record(attempts);
}
