#!/usr/bin/env node
// Runs the build (dist/, `npm run build`) when there is a complete one that no source is newer
// than; otherwise the TypeScript sources through tsx, so a fresh `npm ci` needs no build step and
// an edited checkout never runs stale JavaScript. An installed package ships dist/ and no src/.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { followParent, relaunchTuned, wantsRelaunch } from './malloc-tuning.mjs';

const root = new URL('..', import.meta.url);
const stamp = new URL('dist/build-info.json', root);
const src = new URL('src/', root);

/** Latest modification time of any file under `dir`. */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) t = Math.max(t, statSync(`${e.parentPath ?? e.path}/${e.name}`).mtimeMs);
  }
  return t;
}

// serve, agent and demo run with glibc malloc settings that must be set before start-up
// (see malloc-tuning.mjs): this process then only relays signals and the exit status.
if (wantsRelaunch(process.argv.slice(2))) relaunchTuned();
else await run();

async function run() {
  followParent();
  const fromBuild = existsSync(stamp) && (!existsSync(src) || statSync(stamp).mtimeMs >= newest(src));
  // `coquant profile ... | head` closes stdout early; that is the reader's choice, not an error.
  process.stdout.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  let main;
  if (fromBuild) {
    ({ main } = await import('../dist/cli/main.js'));
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    ({ main } = await import('../src/cli/main.ts'));
  }
  await main(process.argv);
}
