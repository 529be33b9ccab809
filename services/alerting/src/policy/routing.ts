// The routing tree: Alertmanager's semantics (depth-first, first matching child wins unless it says
// `continue`, a node with no matching child takes the alert itself, children inherit their parent's settings).
import type { AlertingRoute } from '@vigil/contracts';
import { parseDuration } from './durations.js';
import { matchesAll, parseMatchers, type Matcher } from './matchers.js';

export interface CompiledRoute {
  /** The route's name, or its path from the root ("root", "root.0", "root.0.2"). */
  id: string;
  receiver: string;
  matchers: Matcher[];
  continue: boolean;
  /** Labels whose values split alerts into groups; "all" groups by every label. */
  groupBy: string[] | 'all';
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  activeTimeIntervals: string[];
  muteTimeIntervals: string[];
  children: CompiledRoute[];
}

/** Alertmanager's defaults. */
const ROOT_DEFAULTS = {
  groupBy: [] as string[],
  groupWaitMs: 30_000,
  groupIntervalMs: 300_000,
  repeatIntervalMs: 4 * 3_600_000,
  activeTimeIntervals: [] as string[],
  muteTimeIntervals: [] as string[],
};

export function compileRoute(
  route: AlertingRoute,
  parent: Omit<CompiledRoute, 'id' | 'matchers' | 'continue' | 'children'> | undefined,
  path: string,
): CompiledRoute {
  const inherited = parent ?? { ...ROOT_DEFAULTS, receiver: '' };
  const receiver = route.receiver ?? inherited.receiver;
  const compiled: CompiledRoute = {
    id: route.name ?? path,
    receiver,
    matchers: parseMatchers(route.matchers),
    continue: route.continue ?? false,
    groupBy: route.group_by
      ? route.group_by.includes('...')
        ? 'all'
        : [...route.group_by]
      : inherited.groupBy,
    groupWaitMs: route.group_wait ? parseDuration(route.group_wait) : inherited.groupWaitMs,
    groupIntervalMs: route.group_interval ? parseDuration(route.group_interval) : inherited.groupIntervalMs,
    repeatIntervalMs: route.repeat_interval
      ? parseDuration(route.repeat_interval)
      : inherited.repeatIntervalMs,
    activeTimeIntervals: route.active_time_intervals ?? inherited.activeTimeIntervals,
    muteTimeIntervals: route.mute_time_intervals ?? inherited.muteTimeIntervals,
    children: [],
  };
  compiled.children = (route.routes ?? []).map((child, index) =>
    compileRoute(child, compiled, `${compiled.id}.${index}`),
  );
  return compiled;
}

/** The routes that take an alert with these labels; the root matches everything. */
export function matchRoutes(
  route: CompiledRoute,
  labels: Readonly<Record<string, string>>,
  isRoot = true,
): CompiledRoute[] {
  if (!isRoot && !matchesAll(route.matchers, labels)) return [];
  const matched: CompiledRoute[] = [];
  for (const child of route.children) {
    const found = matchRoutes(child, labels, false);
    matched.push(...found);
    if (found.length > 0 && !child.continue) break;
  }
  return matched.length > 0 ? matched : [route];
}

export function* allRoutes(route: CompiledRoute): Generator<CompiledRoute> {
  yield route;
  for (const child of route.children) yield* allRoutes(child);
}

/** The labels that name an alert's group on a route. */
export function groupLabelsOf(
  route: CompiledRoute,
  labels: Readonly<Record<string, string>>,
): Record<string, string> {
  if (route.groupBy === 'all') return { ...labels };
  const grouped: Record<string, string> = {};
  for (const name of route.groupBy) grouped[name] = labels[name] ?? '';
  return grouped;
}
