/**
 * `npm run bench [name...]`: runs every bench/*.bench.ts (or those whose name contains one
 * of the arguments) one after another in its own process, so one benchmark's heap and JIT
 * state cannot skew the next. Each benchmark prints its own ratios against a baseline it
 * measures in the same run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  // A name that is exactly a benchmark's runs that one (`isnet` is not also `profile-isnet`); otherwise substrings match.
  .filter((f) => filters.length === 0 || filters.some((x) => f === `${x}.bench.ts` || (!existsSync(join(here, `${x}.bench.ts`)) && f.includes(x))))
  .sort();
if (files.length === 0) {
  console.error(`no benchmark matches ${filters.join(', ')}; available: ${readdirSync(here).filter((f) => f.endsWith('.bench.ts')).join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const f of files) {
  console.log(`\n=== ${f} ===`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, f)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`${f} failed with exit code ${r.status}`);
  }
}
process.exit(failed ? 1 : 0);
