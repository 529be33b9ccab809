// `--profile`: the services run with --cpu-prof; this sums each profile's self time by function and by area.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './suite.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  service: string;
  /** Sampled CPU time in ms (idle excluded). */
  busyMs: number;
  areas: { area: string; ms: number; share: number }[];
  functions: { fn: string; ms: number; share: number }[];
}

/** Where a frame's code lives: a package, a file of this repository, Node itself, or the garbage collector. */
function areaOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(program)') return 'V8/native (program)';
  if (!url) return `native ${functionName || '(anonymous)'}`;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    const pkg = rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
    // workspace packages resolve through node_modules/@vigil symlinks or directly
    return pkg.startsWith('@vigil/') ? `${pkg} (repo)` : pkg;
  }
  const repo = url.replace(/^file:\/\//, '').replace(ROOT, '');
  const parts = repo.split('/');
  if (parts[0] === 'libs') return `@vigil/${parts[1]} (repo)`;
  if (parts[0] === 'services') return `services/${parts[1]}/${parts.slice(3, -1).join('/') || '.'}`;
  return repo;
}

export function summarise(file: string, service: string): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') continue;
    busy += us;
    const area = areaOf(frame);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const where = frame.url
      ? `${frame.url.replace(/^file:\/\//, '').replace(ROOT, '')}:${frame.lineNumber + 1}`
      : '';
    const fn = `${frame.functionName || '(anonymous)'} ${where}`.trim();
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  }
  const top = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => ({ key: k, ms: Math.round(us / 1000), share: Math.round((us / busy) * 1000) / 10 }));
  return {
    service,
    busyMs: Math.round(busy / 1000),
    areas: top(areas, 10).map(({ key, ms, share }) => ({ area: key, ms, share })),
    functions: top(functions, 10).map(({ key, ms, share }) => ({ fn: key, ms, share })),
  };
}

export function summariseDir(dir: string): ProfileSummary[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => summarise(join(dir, f), f.replace(/\.cpuprofile$/, '')));
}

export function renderProfiles(summaries: ProfileSummary[]): string {
  return summaries
    .map((s) =>
      [
        `  ${s.service}: ${s.busyMs} ms sampled CPU`,
        `    by area: ${s.areas.map((a) => `${a.area} ${a.share}%`).join(', ')}`,
        ...s.functions.slice(0, 6).map((f) => `    ${String(f.share).padStart(5)}%  ${f.fn}`),
      ].join('\n'),
    )
    .join('\n');
}
