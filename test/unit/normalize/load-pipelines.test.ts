import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSchemas } from '../../../src/codecs/index.js';
import { OrderlakeError } from '../../../src/errors.js';
import { formatProblem, lintPipelines, loadPipelines, type PipelineProblem } from '../../../src/normalize/index.js';
import { PIPELINES_DIR, SCHEMAS_DIR, referenceSchemas } from './support/reference-deployment.js';

const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function pipelineDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'orderlake-pipelines-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

async function reference(name: string): Promise<string> {
  return readFile(join(PIPELINES_DIR, name), 'utf8');
}

/** The reference TMS pipeline with one textual edit, so each test breaks exactly one thing. */
async function tmsWith(from: string, to: string): Promise<string> {
  const text = await reference('tms-tracking.yaml');
  expect(text).toContain(from);
  return text.replace(from, to);
}

async function loadError(dir: string, withSchemas = false): Promise<OrderlakeError> {
  const err = await loadPipelines(dir, withSchemas ? { schemas: referenceSchemas() } : {}).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OrderlakeError);
  const error = err as OrderlakeError;
  expect(error.code).toBe('OL_ERR_PIPELINE_INVALID');
  return error;
}

function only(problems: PipelineProblem[]): PipelineProblem {
  expect(problems.map(formatProblem)).toHaveLength(1);
  return problems[0] as PipelineProblem;
}

describe('the reference pipelines', () => {
  it('lint clean against the reference schemas', async () => {
    expect(await lintPipelines(PIPELINES_DIR, { schemas: referenceSchemas() })).toEqual([]);
  });

  it('load as five pipelines, one per topic, sorted by file', async () => {
    const pipelines = await loadPipelines(PIPELINES_DIR, { schemas: referenceSchemas() });
    expect(pipelines.map((p) => [p.name, p.topic, p.emits])).toEqual([
      ['crm-after-sales', 'crm.public.after_sales', 'crm_case'],
      ['crm-order-lines', 'crm.public.order_lines', 'crm_line'],
      ['crm-orders', 'crm.public.orders', 'crm_order'],
      ['tms-tracking', 'tms.tracking.events', 'tms'],
      ['wms-fulfillment', 'wms.fulfillment.events', 'wms'],
    ]);
    const wms = pipelines.find((p) => p.name === 'wms-fulfillment');
    expect(wms?.writerSchemas).toEqual(['wms.fulfillment.v1', 'wms.fulfillment.v2']);
    expect(wms?.readerSchema).toBe('wms.fulfillment.v2');
    expect(wms?.file).toBe(join(PIPELINES_DIR, 'wms-fulfillment.yaml'));
  });

  it("accept the codec stage's SchemaSet as the schema source", async () => {
    const schemas = await loadSchemas(SCHEMAS_DIR);
    expect(await lintPipelines(PIPELINES_DIR, { schemas })).toEqual([]);
  });
});

describe('loadPipelines refuses an invalid file naming the file, the path and the expectation', () => {
  it('a wrong conversion type', async () => {
    const text = (await reference('crm-orders.yaml')).replace('type: decimal, scale: 2', 'type: money, scale: 2');
    const dir = await pipelineDir({ 'crm-orders.yaml': text });
    const err = await loadError(dir);
    expect(err.message).toContain(join(dir, 'crm-orders.yaml'));
    expect(err.message).toContain('fields.total_amount.type');
    expect(err.message).toContain('expected one of "string", "int", "long", "boolean", "decimal"');
    expect(err.message).toContain('got "money"');
    expect(err.context.file).toBe(join(dir, 'crm-orders.yaml'));
  });

  it('points at the line of the offending node', async () => {
    const dir = await pipelineDir({ 'tms.yaml': await tmsWith('tombstones: reject', 'tombstones: sometimes') });
    const problem = only(await lintPipelines(dir));
    const text = await readFile(join(dir, 'tms.yaml'), 'utf8');
    const expectedLine = text.split('\n').findIndex((l) => l.startsWith('tombstones:')) + 1;
    expect(problem).toMatchObject({ path: 'tombstones', line: expectedLine, column: 13 });
    expect(formatProblem(problem)).toBe(`${join(dir, 'tms.yaml')}:${expectedLine}:13: tombstones: expected one of "allow", "reject", got "sometimes"`);
  });

  it('a missing required key', async () => {
    const dir = await pipelineDir({ 'tms.yaml': await tmsWith('tombstones: reject\n', '') });
    expect((await loadError(dir)).message).toMatch(/tms\.yaml:\d+:\d+: tombstones: is required: expected one of "allow", "reject"$/);
  });

  it('a misspelt key, with a suggestion', async () => {
    const dir = await pipelineDir({ 'tms.yaml': await tmsWith('type: string, nullable: true }', 'type: string, nulable: true }') });
    const problem = only(await lintPipelines(dir));
    expect(problem.path).toBe('fields.fulfillment_ref.nulable');
    expect(problem.message).toContain('unknown key (did you mean "nullable"?)');
  });

  it('a discriminated union with an unknown tag', async () => {
    const dir = await pipelineDir({ 'tms.yaml': await tmsWith('codec: { type: confluent-avro }', 'codec: { type: protobuf }') });
    const problem = only(await lintPipelines(dir));
    expect(problem.path).toBe('codec.type');
    expect(problem.message).toBe('expected one of "confluent-avro", "avro", got "protobuf"');
  });

  it('a scalar where a mapping is expected', async () => {
    const dir = await pipelineDir({ 'tms.yaml': await tmsWith('key:\n  format: string', 'key: tracking_no') });
    expect(only(await lintPipelines(dir))).toMatchObject({ path: 'key', message: 'expected a mapping, got "tracking_no"' });
  });

  it('a path that is not a dotted path', async () => {
    const dir = await pipelineDir({ 'tms.yaml': await tmsWith('from: location,', 'from: "loc ation",') });
    const problem = only(await lintPipelines(dir));
    expect(problem.path).toBe('fields.location.from');
    expect(problem.message).toContain('expected a dotted path');
  });

  it('an empty file', async () => {
    const dir = await pipelineDir({ 'empty.yaml': '' });
    expect(only(await lintPipelines(dir))).toMatchObject({ path: '', message: 'expected a mapping, got null' });
  });

  it('a YAML syntax error', async () => {
    const dir = await pipelineDir({ 'tms.yaml': await tmsWith('emits: tms', 'emits: [tms') });
    const problem = (await lintPipelines(dir))[0];
    expect(problem?.message).toMatch(/^YAML syntax error/);
    expect(problem?.line).toBeGreaterThan(1);
  });

  it('a canonical field mapped twice', async () => {
    const dir = await pipelineDir({
      'tms.yaml': await tmsWith('  location:', '  carrier:         { from: tracking_no, type: string }\n  location:'),
    });
    const problem = only(await lintPipelines(dir));
    expect(problem.message).toContain('key "carrier" appears twice');
    expect(problem.message).toContain('mapped exactly once');
  });

  it('a canonical field not mapped', async () => {
    const dir = await pipelineDir({ 'tms.yaml': await tmsWith('  carrier:         { from: carrier_code, type: string }\n', '') });
    expect(only(await lintPipelines(dir))).toMatchObject({
      path: 'fields',
      message: 'missing mapping for canonical field "carrier" (every field of tms must be mapped exactly once)',
    });
  });

  it('a field that is not canonical', async () => {
    const dir = await pipelineDir({ 'tms.yaml': await tmsWith('  location:', '  signed_by: { from: signed_by, type: string, nullable: true }\n  location:') });
    const problem = only(await lintPipelines(dir));
    expect(problem.path).toBe('fields.signed_by');
    expect(problem.message).toMatch(/^not a canonical field of tms; expected one of: event_id, tracking_no/);
  });

  it('a conversion that cannot feed the canonical field', async () => {
    const dir = await pipelineDir({ 'tms.yaml': await tmsWith('occurred_at, type: millis-timestamp', 'occurred_at, type: long') });
    expect(only(await lintPipelines(dir))).toMatchObject({
      path: 'fields.occurred_at.type',
      message: 'canonical field occurred_at holds a timestamp; expected zoned-timestamp or micro-timestamp or millis-timestamp, got "long"',
    });
  });

  it('a decimal without a scale', async () => {
    const text = (await reference('crm-order-lines.yaml')).replace('type: decimal, scale: 2', 'type: decimal');
    const dir = await pipelineDir({ 'lines.yaml': text });
    expect(only(await lintPipelines(dir))).toMatchObject({ path: 'fields.unit_price.scale', message: 'is required for type decimal: expected the number of fraction digits' });
  });

  it('nullable on a field the canonical event never leaves null', async () => {
    const dir = await pipelineDir({ 'tms.yaml': await tmsWith('{ from: event_id, type: string }', '{ from: event_id, type: string, nullable: true }') });
    expect(only(await lintPipelines(dir))).toMatchObject({ path: 'fields.event_id.nullable', message: 'canonical field event_id is never null; expected false' });
  });

  it('a map that does not exist', async () => {
    const dir = await pipelineDir({ 'tms.yaml': await tmsWith('map: tracking_codes', 'map: tracking_code') });
    expect(only(await lintPipelines(dir))).toMatchObject({
      path: 'fields.event_code.map',
      message: 'expected the name of a table in maps (one of: tracking_codes), got "tracking_code"',
    });
  });

  it('a map value that is not a string', async () => {
    const dir = await pipelineDir({ 'tms.yaml': await tmsWith('DELIVERED: DELIVERED', 'DELIVERED: 8') });
    expect(only(await lintPipelines(dir))).toMatchObject({ path: 'maps.tracking_codes.values.DELIVERED', message: 'expected a string, got number 8' });
  });

  it('an envelope that does not fit the emitted kind', async () => {
    const dir = await pipelineDir({ 'tms.yaml': await tmsWith('envelope: plain', 'envelope: debezium') });
    expect(only(await lintPipelines(dir))).toMatchObject({ path: 'envelope', message: 'emits tms reads plain records; expected "plain", got "debezium"' });
  });

  it('the same topic in two files', async () => {
    const tms = await reference('tms-tracking.yaml');
    const dir = await pipelineDir({ 'a.yaml': tms, 'b.yaml': tms.replace('name: tms-tracking', 'name: tms-copy') });
    const err = await loadError(dir);
    expect(err.message).toContain(`${join(dir, 'b.yaml')}: topic: topic tms.tracking.events is already read by ${join(dir, 'a.yaml')}`);
  });

  it('a folder without pipeline files', async () => {
    const dir = await pipelineDir({ 'README.md': '# nothing' });
    expect((await loadError(dir)).message).toContain('no pipeline files (*.yaml); expected at least one');
  });
});

describe('checks against the reader schema', () => {
  it('an unknown schema name', async () => {
    const dir = await pipelineDir({ 'tms.yaml': await tmsWith('readerSchema: tms.tracking', 'readerSchema: tms.tracking.v9') });
    const problems = await lintPipelines(dir, { schemas: referenceSchemas() });
    expect(problems.map((p) => [p.path, p.message])).toEqual([
      ['readerSchema', 'expected the name of a schema in schemas/, got "tms.tracking.v9" (no tms.tracking.v9.avsc)'],
    ]);
  });

  it('a from path that names no field', async () => {
    const dir = await pipelineDir({ 'tms.yaml': await tmsWith('from: carrier_code', 'from: carrier') });
    expect(only(await lintPipelines(dir, { schemas: referenceSchemas() }))).toMatchObject({
      path: 'fields.carrier.from',
      message: 'expected a field of reader schema tms.tracking, got "carrier" (no such field)',
    });
  });

  it('a Debezium from path is relative to the image', async () => {
    const text = (await reference('crm-order-lines.yaml')).replace('from: product_name', 'from: after.product_name');
    const dir = await pipelineDir({ 'lines.yaml': text });
    expect(only(await lintPipelines(dir, { schemas: referenceSchemas() }))).toMatchObject({
      path: 'fields.name.from',
      message: 'expected a field of reader schema crm.public.order_lines, got "after.after.product_name" (no such field)',
    });
  });

  it('an ordering column that names no field', async () => {
    const text = (await reference('crm-orders.yaml')).replace('[after.row_version, source.lsn]', '[after.row_versio, source.lsn]');
    const dir = await pipelineDir({ 'orders.yaml': text });
    expect(only(await lintPipelines(dir, { schemas: referenceSchemas() }))).toMatchObject({
      path: 'ordering[0]',
      message: 'expected a field of reader schema crm.public.orders, got "after.row_versio" (no such field)',
    });
  });

  it('a conversion that cannot read the Avro type', async () => {
    const text = (await reference('crm-orders.yaml')).replace('{ from: created_at, type: zoned-timestamp }', '{ from: promised_delivery_at, type: zoned-timestamp }');
    const dir = await pipelineDir({ 'orders.yaml': text });
    expect(only(await lintPipelines(dir, { schemas: referenceSchemas() }))).toMatchObject({
      path: 'fields.created_at.type',
      message: 'the reader schema has long at "promised_delivery_at"; "zoned-timestamp" cannot read it',
    });
  });

  it('a decimal scale that differs from the schema', async () => {
    const text = (await reference('crm-orders.yaml')).replace('type: decimal, scale: 2', 'type: decimal, scale: 3');
    const dir = await pipelineDir({ 'orders.yaml': text });
    expect(only(await lintPipelines(dir, { schemas: referenceSchemas() }))).toMatchObject({
      path: 'fields.total_amount.scale',
      message: 'the reader schema\'s decimal at "total_amount" has scale 2; expected 2, got 3',
    });
  });

  it('a nullable source feeding a nullable canonical field without nullable: true', async () => {
    const dir = await pipelineDir({ 'tms.yaml': await tmsWith('{ from: location, type: string, nullable: true }', '{ from: location, type: string }') });
    expect(only(await lintPipelines(dir, { schemas: referenceSchemas() }))).toMatchObject({
      path: 'fields.location.nullable',
      message: 'the reader schema allows null at "location" and canonical location may be null; expected true (otherwise every null is a dead letter)',
    });
  });
});

describe('lintPipelines', () => {
  it('returns every problem of every file instead of stopping at the first', async () => {
    const dir = await pipelineDir({
      'a.yaml': await tmsWith('tombstones: reject', 'tombstones: maybe'),
      'b.yaml': (await tmsWith('emits: tms', 'emits: parcels')).replace('name: tms-tracking', 'name: tms-b'),
      'c.yaml': (await reference('crm-order-lines.yaml')).replace('line_no:    { from: line_no, type: int }', 'line_no:    { from: line_no, type: integer }'),
    });
    const problems = await lintPipelines(dir);
    expect(problems.map((p) => [p.file.slice(dir.length + 1), p.path])).toEqual([
      ['a.yaml', 'tombstones'],
      ['b.yaml', 'emits'],
      ['c.yaml', 'fields.line_no.type'],
    ]);
  });
});
