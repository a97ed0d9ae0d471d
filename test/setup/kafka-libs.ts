import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file's place (test/setup/) rather than the cwd. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where `mvn dependency:copy-dependencies` puts the broker's jars (git-ignored). */
export const defaultKafkaLibsDir = join(repoRoot, 'test', '.kafka', 'libs');

/** The Maven project that lists the broker's jars. */
export const kafkaPom = join(repoRoot, 'test', 'kafka', 'pom.xml');

/** True when `libsDir` holds the Kafka server jar, i.e. a broker can start from it. */
export async function hasKafkaLibs(libsDir = defaultKafkaLibsDir): Promise<boolean> {
  try {
    const files = await readdir(libsDir);
    return files.some((name) => /^kafka_2\.13-.*\.jar$/.test(name));
  } catch {
    return false;
  }
}

/**
 * Makes sure the broker's jars are in `libsDir`, running Maven once when they are not, so a
 * plain `npx vitest run` works on a fresh clone just as `npm test` does. Maven's output is kept
 * and returned in the error when it fails.
 */
export async function ensureKafkaLibs(libsDir = defaultKafkaLibsDir): Promise<void> {
  if (await hasKafkaLibs(libsDir)) return;
  const args = ['-q', '-B', '-f', kafkaPom, 'dependency:copy-dependencies', `-DoutputDirectory=${libsDir}`];
  const output: Buffer[] = [];
  const code = await new Promise<number | null>((resolvePromise, reject) => {
    const child = spawn('mvn', args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
    child.once('error', (err) =>
      reject(new Error(`cannot run Maven to fetch the Kafka jars (is mvn installed?): ${err.message}`)),
    );
    child.once('close', resolvePromise);
  });
  if (code !== 0 || !(await hasKafkaLibs(libsDir))) {
    const tail = Buffer.concat(output).toString('utf8').slice(-4000);
    throw new Error(`mvn ${args.join(' ')} failed (exit ${code}); output:\n${tail}`);
  }
}
