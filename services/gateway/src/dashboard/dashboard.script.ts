// The dashboard's browser module as the gateway serves it: browser/dashboard.ts, compiled by the gateway's build
// (swc with browser/swcrc.json: no types, comments or indentation, names kept) to dist/dashboard/browser/
// dashboard.js and read once at start-up. The path goes through the package's dist from src (tests) and from
// dist (a built gateway) alike.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BUILT = fileURLToPath(new URL('../../dist/dashboard/browser/dashboard.js', import.meta.url));

function readBuiltScript(): string {
  if (!existsSync(BUILT))
    throw new Error(
      `${BUILT} is missing: build the gateway (npm run build) to compile the dashboard's script`,
    );
  // the source map stays on disk for people; the browser is not sent to look for it
  return readFileSync(BUILT, 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
}

export const DASHBOARD_SCRIPT = readBuiltScript();
