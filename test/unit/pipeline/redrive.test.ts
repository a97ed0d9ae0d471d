import { describe, expect, it } from 'vitest';
import {
  rawMessageOf,
  redriveCandidacy,
  redriveDeadLetters,
  redriveFilters,
  type RedriveDeps,
} from '../../../src/pipeline/redrive.js';
import type { IngestOutcome, Ingestor } from '../../../src/pipeline/ingest.js';
import { DEAD_LETTER_REDRIVES_MIGRATION, REDRIVE_ENCODING, type DeadLetterWithRedrives, type RedriveRow } from '../../../src/sinks/index.js';
import { formatRedriveSummary } from '../../../src/cli/redrive-command.js';
import type { CanonicalEvent } from '../../../src/normalize/index.js';
import { deadLetterRow } from '../../helpers/clickhouse-rows.js';
import { parseTimeArg } from '../../../src/time-arg.js';

const NOW = Date.UTC(2026, 10, 21, 12);

function stored(n: number, overrides: Partial<DeadLetterWithRedrives> = {}): DeadLetterWithRedrives {
  const row = deadLetterRow(n, { stage: 'normalize', code: 'OL_ERR_NORMALIZE_MAPPING', value: Buffer.from(`v${n}`).toString('base64') });
  return { ...row, cured: false, attempts: 0, currentCode: row.code, ...overrides };
}

/**
 * The ingest stage as the re-drive sees it: a value `ok…` normalizes to an event, `tomb…` is a
 * tombstone the pipeline now allows, anything else fails with the code named after `bad:`.
 */
const ingestor: Ingestor = {
  async ingestBatch(messages) {
    return messages.map((m): IngestOutcome => {
      const text = m.value?.toString('utf8') ?? '';
      const position = { topic: m.topic, partition: m.partition, offset: m.offset, timestamp: m.timestamp };
      if (text.startsWith('ok')) return { type: 'event', event: { kind: 'wms', event_id: text } as unknown as CanonicalEvent, position };
      if (text.startsWith('tomb')) return { type: 'tombstone', topic: m.topic };
      const code = text.startsWith('bad:') ? text.slice(4) : 'OL_ERR_NORMALIZE_MAPPING';
      return { type: 'dead', deadLetter: { ...deadLetterRow(0), stage: 'normalize', code, reason: `still ${code}` } };
    });
  },
};

const value = (text: string) => Buffer.from(text).toString('base64');

/** An in-memory dead-letter table with its re-drive attempts, read like `selectDeadLetters`. */
function table(rows: DeadLetterWithRedrives[]) {
  const attempts: RedriveRow[] = [];
  const applied: string[] = [];
  const log: string[] = [];
  const deps = (overrides: Partial<RedriveDeps> = {}): RedriveDeps => ({
    async select(after, limit) {
      const sorted = [...rows].sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1));
      const from = after === undefined ? 0 : sorted.findIndex((r) => r.at > after.at || (r.at === after.at && r.id > after.id));
      return (from < 0 ? [] : sorted.slice(from, from + limit)).map((r) => {
        const mine = attempts.filter((a) => a.dead_letter_id === r.id).sort((a, b) => a.at - b.at);
        const last = mine.at(-1);
        return { ...r, attempts: mine.length, cured: mine.some((a) => a.outcome === 'cured'), currentCode: last ? last.code : r.code };
      });
    },
    ingestor,
    async apply(cured) {
      log.push(`apply ${cured.length}`);
      for (const c of cured) applied.push(c.message.value?.toString('utf8') ?? 'null');
    },
    async record(rows) {
      log.push(`record ${rows.length}`);
      attempts.push(...rows);
    },
    runId: '00000000-0000-4000-8000-000000000001',
    configVersion: 'sha256:test',
    now: () => NOW,
    pageSize: 2,
    ...overrides,
  });
  return { deps, attempts, applied, log };
}

describe('rawMessageOf', () => {
  it('gives back the original key and value bytes and position', () => {
    const row = deadLetterRow(3, { key: value('SO-1'), value: Buffer.from([0, 0, 0, 0, 7, 9]).toString('base64'), partition: 2, offset: '41' });
    const m = rawMessageOf(row);
    expect(m).toMatchObject({ topic: row.topic, partition: 2, offset: '41', timestamp: row.at });
    expect(m.key).toEqual(Buffer.from('SO-1'));
    expect(m.value).toEqual(Buffer.from([0, 0, 0, 0, 7, 9]));
    expect(m).not.toHaveProperty('line');
  });

  it('reads an empty value as a tombstone unless the codec rejected it (then it was empty bytes)', () => {
    expect(rawMessageOf(deadLetterRow(1, { stage: 'normalize', value: '', key: '' }))).toMatchObject({ value: null, key: null });
    expect(rawMessageOf(deadLetterRow(1, { stage: 'codec', value: '' })).value).toEqual(Buffer.alloc(0));
  });

  it('keeps the replay file and line', () => {
    expect(rawMessageOf(deadLetterRow(1, { file: 'a.jsonl', line: 12 }))).toMatchObject({ file: 'a.jsonl', line: 12 });
  });
});

describe('redriveCandidacy', () => {
  it('takes the ingest stage only, and never a cured one', () => {
    expect(redriveCandidacy({ stage: 'codec', cured: false })).toBe('candidate');
    expect(redriveCandidacy({ stage: 'normalize', cured: false })).toBe('candidate');
    expect(redriveCandidacy({ stage: 'normalize', cured: true })).toBe('already_cured');
    expect(redriveCandidacy({ stage: 'merge', cured: false })).toBe('stage_merge');
    expect(redriveCandidacy({ stage: 'link', cured: false })).toBe('stage_link');
    expect(redriveCandidacy({ stage: 'source', cured: false })).toBe('stage_source');
  });
});

describe('parseTimeArg and redriveFilters', () => {
  it('reads ISO 8601 with a zone, a date, epoch milliseconds, or a duration ago', () => {
    expect(parseTimeArg('1795769806710', NOW)).toBe(1795769806710);
    expect(parseTimeArg('2026-11-21T08:00:00Z', NOW)).toBe(Date.UTC(2026, 10, 21, 8));
    expect(parseTimeArg('2026-11-21T08:00:00.5+01:00', NOW)).toBe(Date.UTC(2026, 10, 21, 7, 0, 0, 500));
    expect(parseTimeArg('2026-11-21', NOW)).toBe(Date.UTC(2026, 10, 21));
    expect(parseTimeArg('30m', NOW)).toBe(NOW - 30 * 60_000);
    expect(parseTimeArg('2h', NOW)).toBe(NOW - 7_200_000);
    expect(parseTimeArg('7d', NOW)).toBe(NOW - 7 * 86_400_000);
    for (const bad of ['', 'yesterday', '2026-11-21T08:00:00', '2h30m', '-1h', '2026-13-01T00:00:00Z', '12345']) expect(parseTimeArg(bad, NOW), bad).toBeNull();
  });

  it('checks every filter and names the field as the caller spelt it', () => {
    expect(redriveFilters({ since: '1h' }, NOW)).toEqual({ since: NOW - 3_600_000, until: NOW });
    expect(redriveFilters({ since: '2h', until: '1h', code: 'OL_ERR_NORMALIZE_MAPPING', limit: '5' }, NOW)).toEqual({
      since: NOW - 7_200_000,
      until: NOW - 3_600_000,
      code: 'OL_ERR_NORMALIZE_MAPPING',
      limit: 5,
    });
    expect(redriveFilters({}, NOW)).toBe('--since is required');
    expect(redriveFilters({ since: 'soon' }, NOW)).toMatch(/^--since: expected/);
    expect(redriveFilters({ since: '1h', until: '2h' }, NOW)).toBe('--until must be after --since');
    expect(redriveFilters({ since: '1h', code: 'NOPE' }, NOW)).toMatch(/--code: unknown error code 'NOPE'/);
    expect(redriveFilters({ since: '1h', limit: '0' }, NOW)).toBe('--limit must be a positive integer');
    expect(redriveFilters({ since: '1h', limit: 2.5 }, NOW, (f) => `body/${f}`)).toBe('body/limit must be a positive integer');
  });
});

describe('redriveDeadLetters', () => {
  it('applies the cured, records every attempt after applying, and skips what it may not re-drive', async () => {
    const rows = [
      stored(1, { value: value('ok-1') }),
      stored(2, { value: value('bad:OL_ERR_NORMALIZE_TIMESTAMP') }),
      stored(3, { stage: 'merge', code: 'OL_ERR_INTERNAL_MESSAGE', currentCode: 'OL_ERR_INTERNAL_MESSAGE', value: value('ok-3') }),
      stored(4, { value: value('tomb-4') }),
      stored(5, { value: value('bad:OL_ERR_NORMALIZE_MAPPING') }),
      stored(6, { stage: 'link', value: value('ok-6') }),
    ];
    const t = table(rows);
    const progress: number[] = [];
    const summary = await redriveDeadLetters(t.deps({ onProgress: (s) => progress.push(s.selected) }));
    expect(summary).toMatchObject({
      selected: 6,
      cured: 2,
      appliedEvents: 1,
      stillFailing: { OL_ERR_NORMALIZE_TIMESTAMP: 1, OL_ERR_NORMALIZE_MAPPING: 1 },
      codeChanged: 1,
      skipped: { stage_merge: 1, stage_link: 1 },
      limited: false,
    });
    expect(progress).toEqual([2, 4, 6]);
    expect(t.applied).toEqual(['ok-1', 'tomb-4']);
    expect(t.log).toEqual(['apply 1', 'record 2', 'apply 1', 'record 1', 'record 1']);
    expect(t.attempts.map((a) => [a.dead_letter_id, a.outcome, a.code])).toEqual([
      [rows[0]!.id, 'cured', ''],
      [rows[1]!.id, 'failed', 'OL_ERR_NORMALIZE_TIMESTAMP'],
      [rows[3]!.id, 'cured', ''],
      [rows[4]!.id, 'failed', 'OL_ERR_NORMALIZE_MAPPING'],
    ]);
    expect(t.attempts.every((a) => a.config_version === 'sha256:test' && a.at === NOW && a.dead_letter_at === rows.find((r) => r.id === a.dead_letter_id)!.at)).toBe(true);
  });

  it('never applies a cured dead letter again, and stops at the limit with the rest left for the next run', async () => {
    const rows = Array.from({ length: 7 }, (_, i) => stored(i + 1, { value: value(`ok-${i + 1}`) }));
    const t = table(rows);
    const first = await redriveDeadLetters(t.deps({ limit: 3 }));
    expect(first).toMatchObject({ cured: 3, limited: true });
    expect(t.applied).toEqual(['ok-1', 'ok-2', 'ok-3']);
    const second = await redriveDeadLetters(t.deps());
    expect(second).toMatchObject({ selected: 7, cured: 4, skipped: { already_cured: 3 }, limited: false });
    const third = await redriveDeadLetters(t.deps());
    expect(third).toMatchObject({ selected: 7, cured: 0, appliedEvents: 0, skipped: { already_cured: 7 } });
    expect(t.applied).toEqual(rows.map((_, i) => `ok-${i + 1}`));
  });

  it('records nothing of a page whose apply failed, so the next run takes it again', async () => {
    const rows = [stored(1, { value: value('ok-1') }), stored(2, { value: value('ok-2') })];
    const t = table(rows);
    await expect(redriveDeadLetters(t.deps({ apply: async () => Promise.reject(new Error('broker down')) }))).rejects.toThrow('broker down');
    expect(t.attempts).toEqual([]);
    expect(await redriveDeadLetters(t.deps())).toMatchObject({ cured: 2 });
  });
});

describe('formatRedriveSummary', () => {
  it('prints cured, still failing by code and skipped by reason', () => {
    const text = formatRedriveSummary({
      runId: 'r1',
      configVersion: 'sha256:abc',
      selected: 9,
      cured: 4,
      appliedEvents: 3,
      stillFailing: { OL_ERR_NORMALIZE_TIMESTAMP: 1, OL_ERR_CODEC_DECODE: 2 },
      codeChanged: 1,
      skipped: { stage_merge: 2 },
      limited: true,
    });
    expect(text.split('\n')).toEqual([
      're-drive r1 with pipelines sha256:abc',
      '  selected       9',
      '  cured          4 (3 events applied)',
      '  still failing  3 (OL_ERR_CODEC_DECODE 2, OL_ERR_NORMALIZE_TIMESTAMP 1); 1 with a new code',
      '  skipped        2 (stage_merge 2)',
      '  stopped at --limit: run again for the rest',
    ]);
  });
});

describe('REDRIVE_ENCODING', () => {
  it('covers every column of the table migration 10 creates, in order', () => {
    expect(DEAD_LETTER_REDRIVES_MIGRATION.version).toBe(10);
    const [create] = DEAD_LETTER_REDRIVES_MIGRATION.statements('db');
    const columns = [...create!.slice(create!.indexOf('(') + 1, create!.indexOf('ENGINE')).matchAll(/^\s*(\w+) /gm)].map((m) => m[1]);
    expect(columns).toEqual([...REDRIVE_ENCODING.columns]);
    expect(create).toMatch(/ENGINE = ReplacingMergeTree\s+ORDER BY \(dead_letter_at, dead_letter_id, run_id\)$/);
    const row = { dead_letter_id: '00000000-0000-4000-8000-000000000001', dead_letter_at: 1, run_id: '00000000-0000-4000-8000-000000000002', at: 2, outcome: 'cured' as const, code: '', reason: '', config_version: 'v' };
    expect(REDRIVE_ENCODING.check(row)).toBeUndefined();
    expect(REDRIVE_ENCODING.check({ ...row, outcome: 'maybe' as never })).toMatch(/^outcome/);
  });
});
