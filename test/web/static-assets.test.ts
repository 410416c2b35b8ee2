import { describe, expect, it } from 'vitest';
import { STATIC_ASSETS } from '../../src/web/static-assets.js';

describe('dashboard static assets', () => {
  it('app.js parses as a script', () => {
    const js = STATIC_ASSETS['/app.js']!.body;
    expect(() => new Function(js)).not.toThrow();
  });

  it('loads nothing from outside the server and never uses innerHTML', () => {
    for (const asset of Object.values(STATIC_ASSETS)) {
      expect(asset.body).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
      expect(asset.body).not.toContain('innerHTML');
    }
    expect(STATIC_ASSETS['/index.html']!.body).toContain('<script src="/app.js"></script>');
  });
});
