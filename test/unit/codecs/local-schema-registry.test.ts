import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalSchemaRegistry, loadSchemas } from '../../../src/codecs/index.js';

const SCHEMA_DIR = path.resolve(import.meta.dirname, '../../../schemas');

describe('createLocalSchemaRegistry', () => {
  it('numbers the schemas 1..n by sorted name', async () => {
    const schemas = await loadSchemas(SCHEMA_DIR);
    const registry = createLocalSchemaRegistry(schemas);
    const names = schemas.names();
    for (const [index, name] of names.entries()) {
      expect(await registry.getSchemaById(index + 1)).toBe(schemas.get(name).schemaJson);
      expect(await registry.register(`${name}-value`, schemas.get(name).schemaJson)).toBe(index + 1);
    }
    expect(await registry.getSchemaById(5)).toBe(schemas.get('wms.fulfillment.v1').schemaJson);
  });

  it('gives the same ids in every instance', async () => {
    const a = createLocalSchemaRegistry(await loadSchemas(SCHEMA_DIR));
    const b = createLocalSchemaRegistry(await loadSchemas(SCHEMA_DIR));
    for (let id = 1; id <= 6; id++) expect(await a.getSchemaById(id)).toBe(await b.getSchemaById(id));
  });

  it('registers a reformatted known schema under its id and an unknown one under the next id', async () => {
    const schemas = await loadSchemas(SCHEMA_DIR);
    const registry = createLocalSchemaRegistry(schemas);
    const pretty = JSON.stringify(JSON.parse(schemas.get('tms.tracking').schemaJson), null, 2);
    expect(await registry.register('tms.tracking.events-value', pretty)).toBe(4);
    const keySchema = '{"type":"record","name":"Key","fields":[{"name":"order_id","type":"string"}]}';
    expect(await registry.register('crm.public.orders-key', keySchema)).toBe(7);
    expect(await registry.register('crm.public.orders-key', keySchema)).toBe(7);
    expect(await registry.getSchemaById(7)).toBe(keySchema);
  });

  it('answers an unknown id with OL_ERR_CODEC_UNKNOWN_SCHEMA_ID and refuses invalid schemas', async () => {
    const registry = createLocalSchemaRegistry(await loadSchemas(SCHEMA_DIR));
    await expect(registry.getSchemaById(99)).rejects.toMatchObject({ code: 'OL_ERR_CODEC_UNKNOWN_SCHEMA_ID', retriable: false });
    await expect(registry.register('x-value', '{"type":"nope"}')).rejects.toMatchObject({ code: 'OL_ERR_REGISTRY_REJECTED' });
    await expect(registry.register('x-value', 'not json')).rejects.toMatchObject({ code: 'OL_ERR_REGISTRY_REJECTED' });
  });
});
