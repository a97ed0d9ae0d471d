import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** A configuration file as it was when loaded. */
export interface ConfigFile {
  file: string;
  /** Last modification, epoch ms. */
  changedAt: number;
}

/**
 * The YAML files directly in `dir` with their modification times, newest first: what a worker
 * loaded, for the strategy-change response time (file change → live). Unreadable: empty.
 */
export async function configFilesOf(dir: string): Promise<ConfigFile[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.yaml') || name.endsWith('.yml'));
  } catch {
    return [];
  }
  const files = await Promise.all(
    names.map(async (name) => {
      const file = path.join(dir, name);
      return { file, changedAt: (await stat(file)).mtimeMs };
    }),
  );
  return files.map((f) => ({ ...f, changedAt: Math.floor(f.changedAt) })).sort((a, b) => b.changedAt - a.changedAt);
}
