import type { Logger } from 'pino';
import type { Config } from '../config.js';
import {
  createAvroDecoder,
  createAvroEncoder,
  createHttpSchemaRegistry,
  createLocalSchemaRegistry,
  loadSchemas,
  type SchemaRegistry,
  type SchemaSet,
} from '../codecs/index.js';
import { createNormalizer, loadPipelines, type Normalizer, type Pipeline } from '../normalize/index.js';

export interface Codec {
  schemas: SchemaSet;
  registry: SchemaRegistry;
  pipelines: Pipeline[];
  normalizer: Normalizer;
  decoder: ReturnType<typeof createAvroDecoder>;
  encoder: ReturnType<typeof createAvroEncoder>;
}

/** Loads and validates schemas and pipelines (fails fast on a bad file) and builds the codec. */
export async function createCodec(config: Config, logger: Logger): Promise<Codec> {
  const schemas = await loadSchemas(config.paths.schemas);
  const pipelines = await loadPipelines(config.paths.pipelines, { schemas });
  const normalizer = createNormalizer(pipelines);
  const registry = config.SCHEMA_REGISTRY_URL
    ? createHttpSchemaRegistry({
        url: config.SCHEMA_REGISTRY_URL,
        ...(config.SCHEMA_REGISTRY_USERNAME ? { username: config.SCHEMA_REGISTRY_USERNAME } : {}),
        ...(config.SCHEMA_REGISTRY_PASSWORD ? { password: config.SCHEMA_REGISTRY_PASSWORD } : {}),
        logger,
      })
    : createLocalSchemaRegistry(schemas);
  const readers: Record<string, string> = {};
  for (const p of pipelines) readers[p.topic] = p.readerSchema;
  const decoder = createAvroDecoder({ registry, readers, schemas });
  const encoder = createAvroEncoder({ registry, schemas });
  logger.info(
    { pipelines: pipelines.map((p) => p.name), schemas: config.paths.schemas, registry: config.SCHEMA_REGISTRY_URL ?? 'local (schemas/)' },
    'pipelines and schemas loaded',
  );
  return { schemas, registry, pipelines, normalizer, decoder, encoder };
}
