import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './bench-result.js';

/** One function's share of a V8 CPU profile. */
export interface SelfTime {
  fn: string;
  /** file:line, relative to the repository when inside it. */
  where: string;
  selfMs: number;
  selfShare: number;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * The functions with the most self time in a `.cpuprofile` (node --cpu-prof), grouped by function
 * and place: where the CPU actually went, as opposed to who called it.
 */
export function topSelfTime(file: string, limit = 25): { totalMs: number; top: SelfTime[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  // Samples taken inside the inspector session (starting and stopping the profiler, serialising
  // the profile) are the measurement's own cost, not the code's.
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inInspector = (id: number): boolean => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      if (nodes.get(at)?.callFrame.url === 'node:inspector') return true;
    }
    return false;
  };
  const selfUs = new Map<string, { fn: string; where: string; us: number }>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = nodes.get(profile.samples[i]!);
    const dt = profile.timeDeltas[i] ?? 0;
    if (!node || dt < 0 || inInspector(node.id)) continue;
    total += dt;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.startsWith('file://') ? url.slice(7) : url;
    // tsx-compiled TypeScript reports no useful line numbers; the file and the function name do.
    const place = file.startsWith(REPO_ROOT) ? path.relative(REPO_ROOT, file) : file;
    const where = file ? (file.endsWith('.ts') ? place : `${place}:${lineNumber + 1}`) : '';
    const fn = functionName || '(anonymous)';
    const key = `${fn}@${where}`;
    const entry = selfUs.get(key) ?? { fn, where, us: 0 };
    entry.us += dt;
    selfUs.set(key, entry);
  }
  const top = [...selfUs.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, limit)
    .map((e) => ({ fn: e.fn, where: e.where, selfMs: Math.round(e.us / 100) / 10, selfShare: Math.round((e.us / total) * 1000) / 10 }));
  return { totalMs: Math.round(total / 1000), top };
}

export function formatSelfTime(top: readonly SelfTime[]): string {
  return top.map((t) => `${`${t.selfShare.toFixed(1)}%`.padStart(6)} ${`${t.selfMs} ms`.padStart(10)}  ${t.fn}  ${t.where}`).join('\n');
}
