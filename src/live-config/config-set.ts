import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { checkRuleTexts, rulesDirectoryOf, type Rule } from '../health/index.js';
import { checkPipelineTexts, type Pipeline, type PipelineProblem, type SchemaSetLike } from '../normalize/index.js';

/** One pipeline or rule file as read: what a configuration version is made of. */
export interface ConfigFileText {
  kind: 'pipelines' | 'rules';
  /** File name inside its folder. */
  name: string;
  /** Modification time, epoch ms: when this text was saved. */
  changedAt: number;
  text: string;
}

/** Every pipeline and rule file, and the version they make. */
export interface ConfigSet {
  /** First 16 hex digits of the SHA-256 of every file's kind, name and text: same files, same version on every worker. */
  version: string;
  /** The whole SHA-256 (hex) the version starts with. */
  hash: string;
  files: ConfigFileText[];
}

/** A checked configuration: what ingest and the health rules run. */
export interface CompiledConfig extends ConfigSet {
  pipelines: Pipeline[];
  rules: Rule[];
}

export type CompileResult = { ok: true; config: CompiledConfig } | { ok: false; problems: PipelineProblem[] };

const byKindAndName = (a: ConfigFileText, b: ConfigFileText) => (a.kind === b.kind ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.kind < b.kind ? -1 : 1);

/** The hash of a file set: independent of modification times and of the order files were read. */
export function configHashOf(files: readonly ConfigFileText[]): string {
  const hash = createHash('sha256');
  for (const f of [...files].sort(byKindAndName)) hash.update(`${f.kind}\u0000${f.name}\u0000${f.text}\u0000`);
  return hash.digest('hex');
}

/** A set from its files (sorted, versioned). */
export function toConfigSet(files: readonly ConfigFileText[]): ConfigSet {
  const sorted = [...files].sort(byKindAndName);
  const hash = configHashOf(sorted);
  return { version: hash.slice(0, 16), hash, files: sorted };
}

async function readFolder(dir: string, kind: ConfigFileText['kind']): Promise<ConfigFileText[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.yaml') || name.endsWith('.yml'));
  } catch {
    return [];
  }
  const files: ConfigFileText[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      const [text, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
      files.push({ kind, name, text, changedAt: Math.floor(info.mtimeMs) });
    } catch {
      // Removed between the listing and the read (an editor's rename): the next check sees the end state.
    }
  }
  return files;
}

/** Reads `<pipelinesDir>/*.yaml` and `<pipelinesDir>/rules/*.yaml`. A missing rules folder is no rules. */
export async function readConfigSet(pipelinesDir: string): Promise<ConfigSet> {
  const [pipelines, rules] = await Promise.all([readFolder(pipelinesDir, 'pipelines'), readFolder(rulesDirectoryOf(pipelinesDir), 'rules')]);
  return toConfigSet([...pipelines, ...rules]);
}

/** Where a file of the set lives on this worker (problems name it). */
export function configFilePath(pipelinesDir: string, file: Pick<ConfigFileText, 'kind' | 'name'>): string {
  return file.kind === 'pipelines' ? path.join(pipelinesDir, file.name) : path.join(rulesDirectoryOf(pipelinesDir), file.name);
}

/**
 * Checks a file set exactly as start-up checks the folders (`loadPipelines` with the schemas, then
 * `loadRules`), and, when `running` is given, that no pipeline's topic or reader schema changed:
 * those decide the Kafka subscription and the decoder, which only a restart changes.
 */
export function compileConfigSet(set: ConfigSet, options: { pipelinesDir: string; schemas?: SchemaSetLike; running?: readonly Pipeline[] }): CompileResult {
  const texts = (kind: ConfigFileText['kind']) => set.files.filter((f) => f.kind === kind).map((f) => ({ file: configFilePath(options.pipelinesDir, f), text: f.text }));
  const pipelineTexts = texts('pipelines');
  const problems: PipelineProblem[] = [];
  if (pipelineTexts.length === 0) problems.push({ file: options.pipelinesDir, path: '', message: 'no pipeline files (*.yaml); expected at least one' });
  const checked = checkPipelineTexts(pipelineTexts, options.schemas ? { schemas: options.schemas } : {});
  const rules = checkRuleTexts(texts('rules'));
  problems.push(...checked.problems, ...rules.problems);
  if (options.running !== undefined && problems.length === 0) problems.push(...restartProblems(options.running, checked.pipelines));
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, config: { ...set, pipelines: checked.pipelines, rules: rules.rules } };
}

function restartProblems(running: readonly Pipeline[], next: readonly Pipeline[]): PipelineProblem[] {
  const problems: PipelineProblem[] = [];
  const nextByTopic = new Map(next.map((p) => [p.topic, p]));
  const runningTopics = new Set(running.map((p) => p.topic));
  for (const p of running) {
    const n = nextByTopic.get(p.topic);
    if (n === undefined) {
      problems.push({ file: p.file, path: 'topic', message: `no pipeline reads topic ${p.topic} any more; removing a topic needs a restart (the Kafka subscription is fixed while running)` });
    } else if (n.readerSchema !== p.readerSchema) {
      problems.push({ file: n.file, path: 'readerSchema', message: `reader schema changed from ${p.readerSchema} to ${n.readerSchema}; that needs a restart (the decoder is built at start)` });
    }
  }
  for (const n of next) {
    if (!runningTopics.has(n.topic)) problems.push({ file: n.file, path: 'topic', message: `topic ${n.topic} is new; reading a new topic needs a restart (the Kafka subscription is fixed while running)` });
  }
  return problems;
}
