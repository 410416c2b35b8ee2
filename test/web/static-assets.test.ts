/** The bundled web client as served: a script that parses, nothing from the network, no markup injection, no server code. */
import { describe, expect, it } from 'vitest';
import { STATIC_PATHS, staticAsset, type StaticAsset } from '../../src/web/static-assets.js';

const asset = (path: string): StaticAsset => {
  const found = staticAsset(path);
  if (!found || 'missing' in found) throw new Error(`no ${path}: ${found && 'missing' in found ? found.missing : 'unknown path'}`);
  return found;
};

describe('dashboard static assets (npm run build bundles src/web/client)', () => {
  it('app.js is the esbuild bundle of the typed client and parses as a script', () => {
    const js = asset('/app.js').body;
    expect(() => new Function(js)).not.toThrow();
    expect(js).toContain('/api/machine/layout');
    // Only types come from the server's modules: neither elkjs nor node built-ins are bundled.
    expect(js).not.toMatch(/elkjs|org\.eclipse\.elk|node:|require\(/);
  });

  it('loads nothing from outside the server and never uses innerHTML', () => {
    for (const path of STATIC_PATHS) {
      const { body } = asset(path);
      expect(body, path).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
      expect(body, path).not.toContain('innerHTML');
    }
    expect(asset('/index.html').body).toContain('<script src="/app.js"></script>');
    expect(asset('/index.html').body).toContain('<link rel="stylesheet" href="/app.css">');
  });

  it('unknown paths are not assets', () => {
    expect(staticAsset('/../package.json')).toBeUndefined();
    expect(staticAsset('/main.ts')).toBeUndefined();
  });
});
