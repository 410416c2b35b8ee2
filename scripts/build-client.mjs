// Bundles the dashboard's web client (src/web/client, TypeScript) with esbuild into
// dist/web/client/app.js, and copies its page and stylesheet beside it. Run by `npm run build`.
// The client may import only types from the server's modules: a bundle that pulls in any file
// outside src/web/client is refused (the server's code, elkjs or node built-ins stay out of it).
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'web', 'client');
const out = join(root, 'dist', 'web', 'client');
mkdirSync(out, { recursive: true });

const result = await build({
  entryPoints: [join(source, 'main.ts')],
  outfile: join(out, 'app.js'),
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['es2020'],
  charset: 'utf8',
  legalComments: 'none',
  sourcemap: false,
  metafile: true,
  logLevel: 'warning',
});

const outside = Object.keys(result.metafile.inputs).filter((input) => relative(source, resolve(root, input)).startsWith('..'));
if (outside.length > 0) {
  console.error(`build-client: the web client bundles files from outside src/web/client (import only types from the server):\n  ${outside.join('\n  ')}`);
  process.exit(1);
}
for (const file of ['index.html', 'app.css']) copyFileSync(join(source, file), join(out, file));
