#!/usr/bin/env node
// `npm run build`: compiles src/ to dist/ (JavaScript and declarations, tsconfig.build.json), then
// writes what tsc does not: the plain-JS .mjs entry points that workers and child processes start.
// In src/ those bootstraps register tsx and import a `.ts` sibling; the build is JavaScript
// already, so their dist versions import the emitted `.js` and need no loader. Any other .mjs
// is copied as it is. dist/build-info.json is written last: bin/coquant.mjs runs the build only
// when that file exists and no source is newer than it.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');
const dist = join(root, 'dist');

rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);

function* files(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else yield p;
  }
}

// `register()` from tsx, then `await import('./x.ts')`: the bootstrap shape src/ uses.
const BOOT = /^\s*await import\('(\.\/[^']+)\.ts'\);\s*$/m;
let boots = 0;
let copied = 0;
for (const file of files(src)) {
  if (file.endsWith('.ts')) continue;
  const rel = relative(src, file);
  const out = join(dist, rel);
  mkdirSync(dirname(out), { recursive: true });
  const text = file.endsWith('.mjs') ? readFileSync(file, 'utf8') : null;
  if (text !== null && /from 'tsx\//.test(text)) {
    const m = BOOT.exec(text);
    if (!m) throw new Error(`${rel}: registers tsx but does not end in \`await import('./x.ts')\`; teach scripts/build-dist.mjs its shape`);
    writeFileSync(out, `// Built from src/${rel.split('\\').join('/')}: the build is JavaScript, so no TypeScript loader is registered.\nawait import('${m[1]}.js');\n`);
    boots++;
  } else {
    copyFileSync(file, out);
    copied++;
  }
}
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
writeFileSync(join(dist, 'build-info.json'), `${JSON.stringify({ name: pkg.name, version: pkg.version, builtAt: new Date().toISOString() }, null, 2)}\n`);
process.stderr.write(`dist/: compiled src/, ${boots} bootstrap(s) rewritten for the build, ${copied} other file(s) copied\n`);
