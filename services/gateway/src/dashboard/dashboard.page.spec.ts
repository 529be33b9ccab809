import { createHash } from 'node:crypto';
import { SourceTextModule } from 'node:vm';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { encodingFor, staticAsset } from './dashboard.assets.js';
import { DASHBOARD_CSP, DASHBOARD_HTML, DASHBOARD_SCRIPT_PATH } from './dashboard.page.js';
import { DASHBOARD_SCRIPT } from './dashboard.script.js';

const directive = (name: string) =>
  DASHBOARD_CSP.split(';')
    .map((d) => d.trim())
    .find((d) => d.startsWith(`${name} `));

describe('dashboard page', () => {
  it('admits its inline CSS by hash and nothing inline besides', () => {
    const styles = [...DASHBOARD_HTML.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]!);
    expect(styles).toHaveLength(1);
    const hash = createHash('sha256').update(styles[0]!, 'utf8').digest('base64');
    expect(directive('style-src')).toBe(`style-src 'self' 'sha256-${hash}'`);
    expect(directive('script-src')).toBe("script-src 'self'");
    expect(directive('connect-src')).toBe("connect-src 'self'");
    expect(directive('default-src')).toBe("default-src 'none'");
    // an inline script, event handler attribute or style attribute would be refused by the policy
    expect(DASHBOARD_HTML.match(/<script[^>]*>/g)).toEqual([
      `<script type="module" src="/${DASHBOARD_SCRIPT_PATH}">`,
    ]);
    expect(DASHBOARD_HTML).not.toMatch(/\son[a-z]+=|\sstyle=/i);
  });

  it('labels every form field', () => {
    const inputs = [...DASHBOARD_HTML.matchAll(/<input id="([^"]+)"/g)].map((m) => m[1]!);
    expect(inputs).toEqual(['username', 'password']);
    for (const id of inputs) expect(DASHBOARD_HTML).toContain(`<label for="${id}">`);
  });
});

describe('dashboard script', () => {
  it('parses as an ES module', () => {
    expect(() => new SourceTextModule(DASHBOARD_SCRIPT)).not.toThrow();
  });

  it('looks up only elements the page has', () => {
    // the compiled module, as served: its quotes are the compiler's
    const used = [...DASHBOARD_SCRIPT.matchAll(/byId\(["']([^"']+)["']\)/g)].map((m) => m[1]!);
    expect(used.length).toBeGreaterThan(10);
    for (const id of used) expect(DASHBOARD_HTML).toContain(`id="${id}"`);
  });
});

describe('dashboard assets', () => {
  it('stay small on the wire', () => {
    const page = staticAsset(DASHBOARD_HTML);
    const script = staticAsset(DASHBOARD_SCRIPT);
    expect(gunzipSync(page.bodies.gzip).toString()).toBe(DASHBOARD_HTML);
    expect(brotliDecompressSync(script.bodies.br).toString()).toBe(DASHBOARD_SCRIPT);
    // both together well under one round trip's initial congestion window (~14 KB)
    expect(page.bodies.br.length + script.bodies.br.length).toBeLessThan(10_000);
  });

  it('picks the encoding the client accepts', () => {
    expect(encodingFor('gzip, deflate, br, zstd')).toBe('br');
    expect(encodingFor('gzip;q=1, br;q=0')).toBe('gzip');
    expect(encodingFor(undefined)).toBe('identity');
    expect(encodingFor('deflate')).toBe('identity');
  });
});
