// Bundles the role pages and the login page with esbuild into dist/client, next to their HTML and CSS.
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist/client');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

await build({
  entryPoints: ['teacher', 'classroom', 'admin', 'login'].map((p) => path.join(root, 'client', `${p}.ts`)),
  outdir: out,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  // Classroom PCs often run an older Chromium-based browser.
  target: ['chrome87', 'edge88', 'firefox78'],
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
for (const f of readdirSync(path.join(root, 'client'))) {
  if (/\.(html|css|svg)$/.test(f)) cpSync(path.join(root, 'client', f), path.join(out, f));
}
console.log(`client built into ${path.relative(root, out)}`);
