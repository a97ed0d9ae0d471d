import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAvroDecoder, createAvroEncoder, parseConfluentFrame } from '../../../src/codecs/index.js';
import { READERS, contractSetup } from './helpers.js';

const FIXTURE_DIR = path.resolve(import.meta.dirname, '../../fixtures/contract');
const REPLAY_FILES = readdirSync(FIXTURE_DIR)
  .filter((name) => name.endsWith('.jsonl') && !name.endsWith('.golden.jsonl'))
  .sort();

/** Fields v2 added; a v1 value read with the v2 reader has them at their defaults. */
const V2_DEFAULTS = { store_id: null, pickup_locker_id: null, label_address_hash: null };

interface ReplayLine {
  topic: string;
  key: string | Record<string, unknown>;
  schema: string;
  value: Record<string, unknown> | null;
}

describe('every contract replay line survives encode → Confluent frame → decode', () => {
  it('finds the replay fixtures', () => {
    expect(REPLAY_FILES.length).toBeGreaterThanOrEqual(3);
  });

  it.each(REPLAY_FILES)('%s', async (file) => {
    const { schemas, registry } = await contractSetup();
    const encoder = createAvroEncoder({ registry, schemas });
    const decoder = createAvroDecoder({ registry, schemas, readers: READERS });
    const lines = readFileSync(path.join(FIXTURE_DIR, file), 'utf8').split('\n');
    let checked = 0;
    for (const [index, text] of lines.entries()) {
      if (text.trim() === '') continue;
      const where = `${file}:${index + 1}`;
      const line = JSON.parse(text) as ReplayLine;

      const key = await encoder.encodeKey(line.topic, line.key);
      expect(await decoder.decodeKey(line.topic, key), where).toEqual(line.key);
      if (line.value === null) continue;

      const bytes = await encoder.encode(line.topic, line.schema, line.value);
      expect(parseConfluentFrame(bytes).schemaId, where).toBe(schemas.names().indexOf(line.schema) + 1);
      const decoded = await decoder.decode(line.topic, bytes);
      const expected = line.schema === 'wms.fulfillment.v1' ? { ...line.value, ...V2_DEFAULTS } : line.value;
      expect(decoded, where).toEqual(expected);
      expect(JSON.parse(JSON.stringify(decoded)), where).toEqual(expected);
      checked++;
    }
    expect(checked).toBeGreaterThan(50);
  });
});
