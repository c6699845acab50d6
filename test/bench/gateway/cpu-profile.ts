// Summarizes a V8 `.cpuprofile` (from `node --cpu-prof`): self time by function and by area
// (package, Gnomon library, Node internals), and inclusive time of Gnomon's own functions.
import { readFile } from 'node:fs/promises';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const IDLE = new Set(['(idle)', '(root)']);

function location(url: string): string {
  if (!url) return '';
  const clean = url.replace(/^file:\/\//, '');
  const modules = clean.lastIndexOf('node_modules/');
  if (modules !== -1) return clean.slice(modules + 'node_modules/'.length);
  const dist = clean.indexOf('/dist/');
  if (dist !== -1) return clean.slice(dist + '/dist/'.length);
  return clean;
}

/** Where a frame's code lives: an npm package, a Gnomon lib or app, Node itself, or V8. */
function areaOf(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native / V8 builtins)';
  if (url.startsWith('node:')) return 'node internals';
  if (url.startsWith('wasm://')) return 'WebAssembly';
  const clean = url.replace(/^file:\/\//, '');
  const modules = clean.lastIndexOf('node_modules/');
  if (modules !== -1) {
    const parts = clean.slice(modules + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const lib = /\/dist\/libs\/([^/]+)\//.exec(clean);
  if (lib) return `@gnomon/${lib[1]}`;
  if (clean.includes('/dist/apps/llm-gateway/')) return 'llm-gateway app';
  return path.basename(clean);
}

function frameKey(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = location(url);
  return `${functionName || '(anonymous)'}${where ? ` ${where}:${lineNumber + 1}` : ''}`;
}

export interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  byArea: { area: string; selfMs: number; pct: string }[];
  byOwner: { owner: string; ms: number; pct: string }[];
  bySelf: { function: string; selfMs: number; pct: string }[];
  gnomonInclusive: { function: string; inclusiveMs: number; pct: string }[];
}

export async function summarizeCpuProfile(file: string, top = 25): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);

  const self = new Map<number, number>();
  let busy = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000;
    const node = byId.get(id)!;
    if (IDLE.has(node.callFrame.functionName)) idle += ms;
    else busy += ms;
    self.set(id, (self.get(id) ?? 0) + ms);
  });

  const areas = new Map<string, number>();
  // Who a sample is spent for: the innermost Gnomon frame on its stack, else (async
  // continuations inside a package) the outermost package frame, else Node or V8 itself.
  const owners = new Map<string, number>();
  const functions = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, ms] of self) {
    const node = byId.get(id)!;
    if (IDLE.has(node.callFrame.functionName)) continue;
    const area = areaOf(node);
    areas.set(area, (areas.get(area) ?? 0) + ms);
    const key = frameKey(node);
    functions.set(key, (functions.get(key) ?? 0) + ms);
    // Inclusive time of Gnomon's own frames on this stack (each function once per stack).
    const seen = new Set<string>();
    let owner: string | null = null;
    let outerPackage: string | null = null;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!;
      const frameArea = areaOf(frame);
      if (frame.callFrame.url.includes('node_modules/')) outerPackage = frameArea;
      if (!frame.callFrame.url.includes('/dist/') || frame.callFrame.url.includes('node_modules/'))
        continue;
      owner ??= `${frame.callFrame.functionName || '(anonymous)'} (${frameArea})`;
      const name = frameKey(frame);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + ms);
    }
    owner ??= outerPackage ? `${outerPackage} (async, no Gnomon frame)` : area;
    owners.set(owner, (owners.get(owner) ?? 0) + ms);
  }
  const pct = (ms: number) => `${((100 * ms) / busy).toFixed(1)}%`;
  const ranked = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]).slice(0, top);
  return {
    busyMs: Math.round(busy),
    idleMs: Math.round(idle),
    byArea: ranked(areas).map(([area, ms]) => ({ area, selfMs: Math.round(ms), pct: pct(ms) })),
    byOwner: ranked(owners).map(([owner, ms]) => ({ owner, ms: Math.round(ms), pct: pct(ms) })),
    bySelf: ranked(functions).map(([fn, ms]) => ({
      function: fn,
      selfMs: Math.round(ms),
      pct: pct(ms),
    })),
    gnomonInclusive: ranked(inclusive).map(([fn, ms]) => ({
      function: fn,
      inclusiveMs: Math.round(ms),
      pct: pct(ms),
    })),
  };
}
