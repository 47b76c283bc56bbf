// Bundles the role pages and the login page with esbuild into dist/client, next to their HTML and CSS.
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist/client');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

await build({
  entryPoints: ['teacher', 'classroom', 'admin', 'login', 'library'].map((p) => path.join(root, 'client', `${p}.ts`)),
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
// Compressed once here, so the server spends no CPU on it when a county's classrooms load the
// page at once; a rural link carries the classroom bundle 4–5× faster (358 kB → ~80 kB gzip).
// Source maps stay as they are: only a developer's tools fetch them.
for (const f of readdirSync(out)) {
  if (!/\.(js|css|html|svg)$/.test(f)) continue;
  const body = readFileSync(path.join(out, f));
  writeFileSync(path.join(out, `${f}.br`), brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
  writeFileSync(path.join(out, `${f}.gz`), gzipSync(body, { level: 9 }));
}
console.log(`client built into ${path.relative(root, out)}`);
