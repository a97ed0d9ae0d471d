import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import { formatProblem, type PipelineProblem } from '../normalize/index.js';
import type { CompiledConfig, CompileResult, ConfigFileText, ConfigSet } from './config-set.js';

/** Where a configuration version came from. */
export type ConfigSource = 'start' | 'files' | 'shared';

/** The configuration a worker runs now. Times are epoch ms. */
export interface ActiveConfig {
  readonly config: CompiledConfig;
  readonly version: string;
  /** When it went live here. */
  readonly since: number;
  readonly source: ConfigSource;
  /** When the change that made it was saved (newest modification time of the files it changed); null at start. */
  readonly savedAt: number | null;
  /** `kind/name` of the files changed against the version before. */
  readonly changed: readonly string[];
}

/** One step of a worker's configuration history. */
export interface ConfigHistoryEntry {
  version: string;
  status: 'live' | 'refused';
  source: ConfigSource;
  /** When it went live, or was refused. */
  at: number;
  savedAt: number | null;
  /** Saved → live, ms (live entries after a change). */
  responseMs: number | null;
  changed: string[];
  /** Why it was refused. */
  problems?: PipelineProblem[];
}

/** A checked version waiting for the next batch boundary. */
export interface StagedConfig {
  readonly config: CompiledConfig;
  readonly source: ConfigSource;
  readonly savedAt: number;
  readonly changed: readonly string[];
}

export type Consideration = 'unchanged' | 'staged' | 'refused';

export interface LiveConfig {
  /** What runs now. A batch must read it once, through {@link beginBatch}. */
  readonly active: ActiveConfig;
  /** A checked version not yet live (it goes live at the next batch boundary). */
  readonly pending: StagedConfig | null;
  /** This worker's history, newest first: every version that went live, and every change refused. */
  history(): ConfigHistoryEntry[];
  /**
   * Reads the files; a set that differs from the files last read is checked as start-up checks it,
   * then staged (and published) or refused with an error log naming file, path and reason. Calls
   * are serialized: a watcher firing during a check makes one more check afterwards.
   */
  check(): Promise<Consideration>;
  /** A version another worker published (`config_versions`): checked and staged like a file change. */
  offer(set: ConfigSet, savedAt: number): Consideration;
  /**
   * The batch boundary: a staged version goes live now, atomically, and the batch runs entirely on
   * what this returns. Synchronous, so nothing else runs between the swap and the batch's start.
   */
  beginBatch(): ActiveConfig;
  /** Puts a staged version live without a batch (an idle worker); true when one went live. */
  applyPending(): boolean;
}

export interface LiveConfigDeps {
  /** What start-up loaded. */
  initial: CompiledConfig;
  /** Reads the pipeline and rule files as they are now. */
  read(): Promise<ConfigSet>;
  /** Checks a set against what runs (start-up's checks, and what needs a restart). */
  compile(set: ConfigSet, running: CompiledConfig): CompileResult;
  /** Wall clock, epoch ms. */
  clock: () => number;
  logger: Logger;
  /** `orderlake_strategy_change_seconds{kind}`: saved → live of the newest change, per kind. */
  metrics?: Pick<Metrics, 'strategyChangeSeconds'>;
  /** A version read from this worker's files was accepted: publish it so every worker switches. */
  publish?(staged: StagedConfig): Promise<void>;
  /** A version went live (the health rules are swapped here). Errors are logged, the swap stands. */
  onLive?(active: ActiveConfig, previous: ActiveConfig): void;
  /** Entries of history kept. Default 100. */
  historyLimit?: number;
}

const keyOf = (f: Pick<ConfigFileText, 'kind' | 'name'>) => `${f.kind}/${f.name}`;

/** `kind/name` of the files added, removed or changed between two sets, and the newest save among them. */
function diff(before: readonly ConfigFileText[], after: readonly ConfigFileText[]): { changed: string[]; newest: number | null } {
  const old = new Map(before.map((f) => [keyOf(f), f]));
  const changed: string[] = [];
  let newest: number | null = null;
  for (const f of after) {
    const k = keyOf(f);
    const o = old.get(k);
    old.delete(k);
    if (o !== undefined && o.text === f.text) continue;
    changed.push(k);
    if (newest === null || f.changedAt > newest) newest = f.changedAt;
  }
  changed.push(...old.keys());
  return { changed: changed.sort(), newest };
}

/**
 * Live reload of pipelines and rules, free of I/O of its own: the files are read, checked and
 * published through its dependencies, and a checked version is swapped in only at a batch
 * boundary ({@link LiveConfig.beginBatch}), so every batch runs on exactly one version. An invalid
 * change is refused with one error log listing each problem, and the running version stays.
 */
export function createLiveConfig(deps: LiveConfigDeps): LiveConfig {
  const { clock, logger } = deps;
  const limit = deps.historyLimit ?? 100;
  let active: ActiveConfig = { config: deps.initial, version: deps.initial.version, since: clock(), source: 'start', savedAt: null, changed: [] };
  let pending: StagedConfig | null = null;
  /** The version of the local files when last read: only a change of the files is a change. */
  let lastLocal = deps.initial.version;
  /** The last version refused, so a file left broken is reported once, not at every poll. */
  let lastRefused: string | null = null;
  const history: ConfigHistoryEntry[] = [{ version: active.version, status: 'live', source: 'start', at: active.since, savedAt: null, responseMs: null, changed: [] }];
  let checking: Promise<Consideration> | null = null;
  let again = false;

  function remember(entry: ConfigHistoryEntry): void {
    history.unshift(entry);
    if (history.length > limit) history.length = limit;
  }

  function consider(set: ConfigSet, source: ConfigSource, savedAt: number | null): { outcome: Consideration; staged?: StagedConfig } {
    if (set.version === active.version && pending === null) return { outcome: 'unchanged' };
    if (set.version === pending?.config.version) return { outcome: 'unchanged' };
    if (set.version === active.version) {
      // Back to what runs before the staged version went live: nothing to swap.
      pending = null;
      return { outcome: 'unchanged' };
    }
    if (set.version === lastRefused) return { outcome: 'refused' };
    const { changed, newest } = diff(active.config.files, set.files);
    const result = deps.compile(set, active.config);
    const at = clock();
    if (!result.ok) {
      lastRefused = set.version;
      remember({ version: set.version, status: 'refused', source, at, savedAt: savedAt ?? newest, responseMs: null, changed, problems: result.problems });
      logger.error(
        {
          code: 'OL_ERR_CONFIG_RELOAD_REFUSED',
          version: set.version,
          source,
          running: active.version,
          problems: result.problems.map((p) => ({ file: p.file, path: p.path, ...(p.line !== undefined ? { line: p.line, column: p.column } : {}), reason: p.message })),
        },
        `configuration change refused; version ${active.version} stays live:\n  ${result.problems.map(formatProblem).join('\n  ')}`,
      );
      return { outcome: 'refused' };
    }
    lastRefused = null;
    const staged: StagedConfig = { config: result.config, source, savedAt: savedAt ?? newest ?? at, changed };
    pending = staged;
    logger.info({ version: set.version, running: active.version, changed, source }, 'configuration change accepted; it goes live at the next batch boundary');
    return { outcome: 'staged', staged };
  }

  function swap(): boolean {
    if (pending === null) return false;
    const next = pending;
    pending = null;
    const since = clock();
    const previous = active;
    active = { config: next.config, version: next.config.version, since, source: next.source, savedAt: next.savedAt, changed: next.changed };
    const responseMs = Math.max(0, since - next.savedAt);
    remember({ version: active.version, status: 'live', source: next.source, at: since, savedAt: next.savedAt, responseMs, changed: [...next.changed] });
    for (const kind of new Set(next.changed.map((c) => c.slice(0, c.indexOf('/'))))) deps.metrics?.strategyChangeSeconds.set({ kind }, responseMs / 1000);
    logger.info({ version: active.version, previous: previous.version, changed: next.changed, source: next.source, responseMs }, 'configuration version live');
    try {
      deps.onLive?.(active, previous);
    } catch (err) {
      logger.error({ err, version: active.version }, 'a part of the pipeline could not take the new configuration version');
    }
    return true;
  }

  async function checkOnce(): Promise<Consideration> {
    const set = await deps.read();
    if (set.version === lastLocal) return 'unchanged';
    const { outcome, staged } = consider(set, 'files', null);
    // A refused set counts as read too: it is reported once, and the next save is a change again.
    lastLocal = set.version;
    if (staged !== undefined && deps.publish !== undefined) {
      try {
        await deps.publish(staged);
      } catch (err) {
        logger.warn({ err, version: staged.config.version }, 'could not publish the configuration version to the other workers; it goes live here, and publishing is tried with the next change');
      }
    }
    return outcome;
  }

  async function run(): Promise<Consideration> {
    let outcome = await checkOnce();
    while (again) {
      again = false;
      const next = await checkOnce();
      if (next !== 'unchanged') outcome = next;
    }
    return outcome;
  }

  return {
    get active() {
      return active;
    },
    get pending() {
      return pending;
    },
    history: () => history.map((e) => ({ ...e, changed: [...e.changed] })),
    check() {
      if (checking !== null) {
        again = true;
        return checking;
      }
      checking = run().finally(() => {
        checking = null;
      });
      return checking;
    },
    offer: (set, savedAt) => consider(set, 'shared', savedAt).outcome,
    beginBatch() {
      swap();
      return active;
    },
    applyPending: swap,
  };
}
