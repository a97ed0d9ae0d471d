import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { freeLoopbackPort } from './free-port.js';
import { defaultKafkaLibsDir, hasKafkaLibs } from './kafka-libs.js';
import {
  brokerLog4j2Properties,
  kafkaTestBrokerSettings,
  renderProperties,
  type KafkaServerPropertiesInput,
} from './kafka-server-properties.js';

export interface KafkaBrokerOptions {
  /** Folder holding the broker's jars. Default: test/.kafka/libs (see kafka-libs.ts). */
  libsDir?: string;
  /** Loopback address to listen on. Default 127.0.0.1. */
  host?: string;
  /** JVM heap ceiling in MiB. Default 512: enough for tests, small on a shared 2-core machine. */
  heapMb?: number;
  /** Overall deadline for formatting plus start-up until the broker answers, in ms. Default 120 000. */
  startTimeoutMs?: number;
  /** Time between SIGTERM and SIGKILL when stopping, in ms. Default 15 000. */
  stopGraceMs?: number;
  /** Where the broker's log (log4j and anything the JVM prints) goes. Default: inside the temp dir. */
  logFile?: string;
  /** Extra or replacing server.properties settings; `null` removes a default. */
  overrides?: KafkaServerPropertiesInput['overrides'];
  /** The java executable. Default: $JAVA_HOME/bin/java when JAVA_HOME is set, else `java`. */
  java?: string;
}

export interface KafkaBroker {
  /** Bootstrap address, `host:port`, as kafkajs and KAFKA_BROKERS expect it. */
  brokers: string;
  /** The broker's log; kept after `stop()` when it was placed outside the temp dir. */
  logFile: string;
  /** How long formatting and start-up took until the broker answered, in ms. */
  startupMs: number;
  /** Stops the broker (SIGTERM, then SIGKILL after the grace period) and removes its temp dir. */
  stop(): Promise<void>;
  /**
   * Stops the broker process and starts it again on the same ports and data (its clients see a
   * broker restart). `whileDown` runs between the two, for a test to wait for its clients to notice.
   * Resolves once the broker answers again, with how long it was down, in ms.
   */
  restart(options?: { signal?: 'SIGTERM' | 'SIGKILL'; whileDown?: () => Promise<void> }): Promise<{ downMs: number }>;
}

const bindFailure = /BindException|Address already in use/;
const maxPortAttempts = 3;

/**
 * Starts a real single-node Apache Kafka broker (KRaft) on free loopback ports, so integration
 * tests talk to Kafka itself rather than a stand-in. Resolves once the broker answers a metadata
 * request; rejects with the tail of the broker log when it does not by the deadline.
 */
export async function startKafkaBroker(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  const libsDir = options.libsDir ?? defaultKafkaLibsDir;
  if (!(await hasKafkaLibs(libsDir))) {
    throw new Error(
      `no Kafka jars in ${libsDir}: run \`npm test\` once, or ` +
        '`mvn -q -B -f test/kafka/pom.xml dependency:copy-dependencies -DoutputDirectory=test/.kafka/libs`',
    );
  }
  const host = options.host ?? '127.0.0.1';
  const java = options.java ?? (process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java');
  const classPath = join(libsDir, '*');
  const started = Date.now();
  const deadline = started + (options.startTimeoutMs ?? 120_000);
  const workDir = await mkdtemp(join(tmpdir(), 'orderlake-kafka-'));
  const logFile = options.logFile ?? join(workDir, 'broker.log');
  const log4jFile = join(workDir, 'log4j2.properties');
  await writeFile(log4jFile, brokerLog4j2Properties());
  const jvmArgs = [
    `-Xmx${options.heapMb ?? 512}m`,
    '-Xms64m',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${log4jFile}`,
    '-cp',
    classPath,
  ];

  const removeWorkDirOnExit = (): void => rmSync(workDir, { recursive: true, force: true });
  process.once('exit', removeWorkDirOnExit);

  let lastFailure: Error | undefined;
  for (let attempt = 1; attempt <= maxPortAttempts; attempt++) {
    const port = await freeLoopbackPort(host);
    let controllerPort = await freeLoopbackPort(host);
    while (controllerPort === port) controllerPort = await freeLoopbackPort(host);
    const dataDir = join(workDir, 'data');
    await rm(dataDir, { recursive: true, force: true });
    await mkdir(dataDir, { recursive: true });
    const propertiesFile = join(workDir, 'server.properties');
    await writeFile(
      propertiesFile,
      renderProperties(kafkaTestBrokerSettings({ host, port, controllerPort, dataDir, overrides: options.overrides })),
    );

    try {
      await formatStorage(java, jvmArgs, propertiesFile, workDir, deadline);
    } catch (err) {
      lastFailure = err instanceof Error ? err : new Error(String(err));
      break;
    }

    const launched = await launchBroker(java, jvmArgs, propertiesFile, workDir, logFile);
    const brokers = `${host}:${port}`;
    const outcome = await waitUntilAnswering(brokers, deadline, launched.isDead);
    if (outcome === 'ready') {
      let current = launched;
      let stopping: Promise<void> | undefined;
      const graceMs = options.stopGraceMs ?? 15_000;
      return {
        brokers,
        logFile,
        startupMs: Date.now() - started,
        stop: () =>
          (stopping ??= (async () => {
            await current.halt(graceMs);
            process.removeListener('exit', removeWorkDirOnExit);
            await rm(workDir, { recursive: true, force: true });
          })()),
        async restart(restartOptions = {}) {
          if (stopping) throw new Error('the broker was stopped; it cannot be restarted');
          await current.halt(restartOptions.signal === 'SIGKILL' ? 0 : graceMs);
          const downAt = Date.now();
          await restartOptions.whileDown?.();
          current = await launchBroker(java, jvmArgs, propertiesFile, workDir, logFile);
          const again = await waitUntilAnswering(brokers, Date.now() + (options.startTimeoutMs ?? 120_000), current.isDead);
          if (again !== 'ready') {
            await current.halt(0);
            throw new Error(`Kafka broker did not come back on ${brokers} after a restart (${again}); log ${logFile}:\n${await logTail(logFile)}`);
          }
          return { downMs: Date.now() - downAt };
        },
      };
    }

    await launched.halt(0);
    const tail = await logTail(logFile);
    const exit = await launched.exited;
    const how = exit.error ? `could not start: ${exit.error.message}` : `exited (${exit.code ?? exit.signal})`;
    const where = options.logFile === undefined ? 'last lines of its log' : `log ${logFile}`;
    lastFailure = new Error(
      outcome === 'exited'
        ? `Kafka broker ${how} during start-up; ${where}:\n${tail}`
        : `Kafka broker did not answer on ${brokers} within ${options.startTimeoutMs ?? 120_000} ms; ${where}:\n${tail}`,
    );
    if (outcome !== 'exited' || !bindFailure.test(tail) || Date.now() >= deadline) break;
  }
  process.removeListener('exit', removeWorkDirOnExit);
  await rm(workDir, { recursive: true, force: true });
  throw lastFailure ?? new Error('Kafka broker did not start');
}

interface LaunchedBroker {
  exited: Promise<ExitResult>;
  isDead(): boolean;
  /** Stops the process (SIGTERM, then SIGKILL after `graceMs`; 0: SIGKILL at once) and its watchdog. */
  halt(graceMs: number): Promise<void>;
}

/** Runs `kafka.Kafka` on an already formatted data directory, its output appended to `logFile`. */
async function launchBroker(java: string, jvmArgs: string[], propertiesFile: string, workDir: string, logFile: string): Promise<LaunchedBroker> {
  const logHandle = await open(logFile, 'a');
  const child = spawn(java, [...jvmArgs, 'kafka.Kafka', propertiesFile], {
    cwd: workDir,
    stdio: ['ignore', logHandle.fd, logHandle.fd],
  });
  await logHandle.close();
  const exited = processExit(child);
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const watchdog = startWatchdog(child);
  let dead = false;
  void exited.then(() => {
    dead = true;
  });
  return {
    exited,
    isDead: () => dead,
    async halt(graceMs) {
      await terminate(child, exited, graceMs);
      watchdog.kill('SIGKILL');
      process.removeListener('exit', killOnExit);
    },
  };
}

/** KRaft needs its metadata directory formatted with a cluster id before the first start. */
async function formatStorage(
  java: string,
  jvmArgs: string[],
  propertiesFile: string,
  cwd: string,
  deadline: number,
): Promise<void> {
  // A cluster id starting with '-' would be read as an option by StorageTool: draw until it does not.
  let clusterId = randomBytes(16).toString('base64url');
  while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
  const args = [...jvmArgs, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propertiesFile];
  const output: Buffer[] = [];
  const child = spawn(java, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), Math.max(0, deadline - Date.now()));
  try {
    const result = await processExit(child);
    if (result.error) throw new Error(`cannot run ${java} (is Java 17+ installed?): ${result.error.message}`);
    if (result.code !== 0) {
      const how = Date.now() >= deadline ? 'did not finish before the start-up deadline' : `failed (exit ${result.code ?? result.signal})`;
      throw new Error(
        `Kafka StorageTool format ${how}:\n` +
          Buffer.concat(output).toString('utf8').slice(-4000),
      );
    }
  } finally {
    clearTimeout(timer);
  }
}

interface ExitResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

function processExit(child: ChildProcess): Promise<ExitResult> {
  return new Promise((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/**
 * A tiny shell that kills the broker when this Node process goes away by any means, SIGKILL
 * included: its stdin is a pipe from us, and the kernel closes that pipe when we die.
 */
function startWatchdog(broker: ChildProcess): ChildProcess {
  const watchdog = spawn('sh', ['-c', 'cat >/dev/null; kill -9 "$0" 2>/dev/null', String(broker.pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  watchdog.on('error', () => undefined);
  watchdog.unref();
  const stdin = watchdog.stdin as (NodeJS.WritableStream & { unref?: () => void }) | null;
  stdin?.unref?.();
  return watchdog;
}

/** Polls with a metadata request until the broker answers, its process dies, or the deadline passes. */
async function waitUntilAnswering(
  brokers: string,
  deadline: number,
  isDead: () => boolean,
): Promise<'ready' | 'exited' | 'timeout'> {
  while (Date.now() < deadline) {
    if (isDead()) return 'exited';
    const admin = new Kafka({
      clientId: 'orderlake-test-broker-probe',
      brokers: [brokers],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1000,
      requestTimeout: 5000,
      retry: { retries: 0 },
    }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length > 0) return 'ready';
    } catch {
      // Not up yet: connection refused or the broker is still loading its metadata.
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return isDead() ? 'exited' : 'timeout';
}

async function terminate(child: ChildProcess, exited: Promise<ExitResult>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), graceMs);
  });
  const first = await Promise.race([exited, timedOut]);
  clearTimeout(timer);
  if (first === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

async function logTail(file: string, lines = 60): Promise<string> {
  try {
    const text = await readFile(file, 'utf8');
    return text.split('\n').slice(-lines).join('\n');
  } catch (err) {
    return `(log unreadable: ${String(err)})`;
  }
}
