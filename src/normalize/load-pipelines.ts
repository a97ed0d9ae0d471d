import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OrderlakeError } from '../errors.js';
import type { SchemaSetLike } from './avro-schema-paths.js';
import { parsePipelineFile } from './parse-pipeline-file.js';
import { formatProblem, type PipelineProblem } from './pipeline-problem.js';
import type { Pipeline } from './pipeline-schema.js';

export interface LoadPipelinesOptions {
  /**
   * The schemas in schemas/ (the codec stage's SchemaSet fits). When given, schema names and every
   * `from`/`ordering` path are checked against the reader schema; without it only the pipeline
   * files themselves are checked.
   */
  readonly schemas?: SchemaSetLike;
}

export interface DirectoryResult {
  readonly pipelines: Pipeline[];
  readonly problems: PipelineProblem[];
}

async function readDirectory(dir: string, options: LoadPipelinesOptions): Promise<DirectoryResult> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.yaml') || name.endsWith('.yml')).sort();
  } catch (err) {
    const message = `cannot read the pipelines directory: ${err instanceof Error ? err.message : String(err)}`;
    return { pipelines: [], problems: [{ file: dir, path: '', message }] };
  }
  if (names.length === 0) {
    return { pipelines: [], problems: [{ file: dir, path: '', message: 'no pipeline files (*.yaml); expected at least one' }] };
  }

  const texts: PipelineText[] = [];
  for (const name of names) {
    const file = join(dir, name);
    texts.push({ file, text: await readFile(file, 'utf8') });
  }
  return checkPipelineTexts(texts, options);
}

/** One pipeline file's path and text, as read from disk (or published by another worker). */
export interface PipelineText {
  readonly file: string;
  readonly text: string;
}

/**
 * Every check start-up makes on a directory's pipeline files, on texts already read: each file on
 * its own, then one pipeline per topic and unique names. Live reload runs exactly this on a
 * changed file set, so a change is refused for the same reasons start-up would refuse it.
 */
export function checkPipelineTexts(files: readonly PipelineText[], options: LoadPipelinesOptions = {}): DirectoryResult {
  const pipelines: Pipeline[] = [];
  const problems: PipelineProblem[] = [];
  const byTopic = new Map<string, Pipeline>();
  const byName = new Map<string, Pipeline>();
  for (const { file, text } of files) {
    const parsed = parsePipelineFile(file, text, options);
    problems.push(...parsed.problems);
    const pipeline = parsed.pipeline;
    if (pipeline === undefined) continue;
    const sameTopic = byTopic.get(pipeline.topic);
    const sameName = byName.get(pipeline.name);
    if (sameTopic !== undefined) {
      problems.push({ file, path: 'topic', message: `topic ${pipeline.topic} is already read by ${sameTopic.file}; expected one pipeline per topic` });
    }
    if (sameName !== undefined) {
      problems.push({ file, path: 'name', message: `name ${pipeline.name} is already used by ${sameName.file}; expected unique pipeline names` });
    }
    if (sameTopic !== undefined || sameName !== undefined) continue;
    byTopic.set(pipeline.topic, pipeline);
    byName.set(pipeline.name, pipeline);
    pipelines.push(pipeline);
  }
  return { pipelines, problems };
}

/**
 * Every problem of every pipeline file in `dir`, returned instead of thrown. Without `schemas` the
 * reader-schema checks are skipped, so this alone is weaker than start-up: `orderlake lint` runs
 * {@link loadPipelines} with the schemas instead, exactly as start-up does.
 */
export async function lintPipelines(dir: string, options: LoadPipelinesOptions = {}): Promise<PipelineProblem[]> {
  return (await readDirectory(dir, options)).problems;
}

/**
 * The problems an `OL_ERR_PIPELINE_INVALID` from {@link loadPipelines} carries, in the order its
 * message lists them; undefined for any other error. Lets `orderlake lint` report exactly what
 * start-up refuses, one problem per line, without parsing the message.
 */
export function pipelineProblemsOf(err: unknown): readonly PipelineProblem[] | undefined {
  if (!(err instanceof OrderlakeError) || err.code !== 'OL_ERR_PIPELINE_INVALID') return undefined;
  const problems = err.context['problems'];
  return Array.isArray(problems) ? (problems as PipelineProblem[]) : undefined;
}

/**
 * Reads and validates every `*.yaml` pipeline in `dir` (sorted by file name). Fails fast at
 * startup: any problem throws `OL_ERR_PIPELINE_INVALID` whose message lists each problem as
 * `file:line:column: path: expectation`.
 */
export async function loadPipelines(dir: string, options: LoadPipelinesOptions = {}): Promise<Pipeline[]> {
  const { pipelines, problems } = await readDirectory(dir, options);
  const first = problems[0];
  if (first !== undefined) {
    const list = problems.map(formatProblem).join('\n  ');
    throw new OrderlakeError('OL_ERR_PIPELINE_INVALID', `invalid pipeline file${problems.length > 1 ? 's' : ''}:\n  ${list}`, {
      context: { file: first.file, problems },
    });
  }
  return pipelines;
}
