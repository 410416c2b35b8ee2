/**
 * The dashboard's static files: the page, its stylesheet and the typed web client (src/web/client/)
 * that `npm run build` bundles with esbuild into dist/web/client/ (scripts/build-client.mjs). None
 * holds data or a secret: everything is fetched with the token. Read once, then kept in memory.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface StaticAsset {
  contentType: string;
  body: string;
}

const FILES: Readonly<Record<string, { file: string; contentType: string }>> = Object.freeze({
  '/index.html': { file: 'index.html', contentType: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', contentType: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', contentType: 'text/css; charset=utf-8' },
});

const here = dirname(fileURLToPath(import.meta.url));
/** dist/web/client beside the built server; from the sources (tests), the repository's dist/. */
const CANDIDATES = [join(here, 'client'), join(here, '..', '..', 'dist', 'web', 'client')];

/** The folder holding the built client, or undefined before `npm run build`. */
export function clientDir(): string | undefined {
  return CANDIDATES.find((dir) => existsSync(join(dir, 'app.js')));
}

const cache = new Map<string, StaticAsset>();

/** The asset at `path`; `missing` when the client was not built; undefined for an unknown path. */
export function staticAsset(path: string): StaticAsset | { missing: string } | undefined {
  const entry = Object.hasOwn(FILES, path) ? FILES[path] : undefined;
  if (!entry) return undefined;
  const cached = cache.get(path);
  if (cached) return cached;
  const dir = clientDir();
  if (!dir) return { missing: 'the dashboard is not built: run `npm run build` (it bundles src/web/client into dist/web/client)' };
  const asset = { contentType: entry.contentType, body: readFileSync(join(dir, entry.file), 'utf8') };
  cache.set(path, asset);
  return asset;
}

export const STATIC_PATHS = Object.keys(FILES);
