/**
 * A baseline tree for same-run comparisons: the sources of an older commit extracted with
 * `git archive` (src, bin, package.json, tsconfig.json) into `dir`, sharing this checkout's
 * node_modules, so its CLI runs beside the current one.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

export function extractTree(root: string, commit: string, dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const tar = execFileSync('git', ['-C', root, 'archive', commit, 'src', 'bin', 'package.json', 'tsconfig.json'], { maxBuffer: 1 << 28 });
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
}
