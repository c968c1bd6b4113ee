/** Builds fake sysfs trees in a temp dir: { 'a/b/file': 'content' }. */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export function fakeSysfs(files: Record<string, string>): { root: string; read: (p: string) => string; write: (p: string, v: string) => void } {
  const root = mkdtempSync(join(tmpdir(), 'coquant-sysfs-'));
  const write = (p: string, v: string) => {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), v);
  };
  for (const [p, v] of Object.entries(files)) write(p, `${v}\n`);
  return { root, read: (p) => readFileSync(join(root, p), 'utf8').trim(), write };
}
