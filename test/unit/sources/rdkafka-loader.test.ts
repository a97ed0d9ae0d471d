import { describe, expect, it } from 'vitest';
import { isOrderlakeError } from '../../../src/errors.js';
import { loadRdkafka } from '../../../src/sources/kafka/rdkafka-loader.js';

function missing(id: string): never {
  const err = new Error(`Cannot find module '${id}'`) as Error & { code: string };
  err.code = 'MODULE_NOT_FOUND';
  throw err;
}

describe('loading node-rdkafka', () => {
  it('fails with OL_ERR_RDKAFKA_MISSING and says what to do when it is not installed', () => {
    let thrown: unknown;
    try {
      loadRdkafka(missing);
    } catch (err) {
      thrown = err;
    }
    expect(isOrderlakeError(thrown)).toBe(true);
    const err = thrown as Error & { code: string; retriable: boolean; cause: unknown };
    expect(err.code).toBe('OL_ERR_RDKAFKA_MISSING');
    expect(err.retriable).toBe(false);
    expect(err.message).toMatch(/npm install node-rdkafka/);
    expect(err.message).toMatch(/KAFKA_CLIENT=kafkajs/);
    expect(err.message).toMatch(/Cannot find module 'node-rdkafka'/);
    expect((err.cause as { code: string }).code).toBe('MODULE_NOT_FOUND');
  });

  it('fails the same way when the native build is broken', () => {
    expect(() =>
      loadRdkafka(() => {
        throw new Error("Cannot find module '../build/Release/node-librdkafka.node'");
      }),
    ).toThrow(expect.objectContaining({ code: 'OL_ERR_RDKAFKA_MISSING' }));
  });

  it('asks for node-rdkafka and hands back what it got', () => {
    const asked: string[] = [];
    const fake = { librdkafkaVersion: 'x' };
    expect(
      loadRdkafka((id) => {
        asked.push(id);
        return fake;
      }),
    ).toBe(fake);
    expect(asked).toEqual(['node-rdkafka']);
  });
});
