/**
 * Reading and writing sysfs attributes under a configurable root ('/sys' by default), so every
 * adapter can be tested against a fake tree in a temp dir. Errors name the file and say what to do.
 */
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { CoquantError } from '../errors.ts';

export class SysfsError extends CoquantError {
  constructor(code: string, message: string, hint?: string) {
    super(code, message, { hint });
  }
}

function explain(e: unknown, path: string, verb: 'read' | 'write'): SysfsError {
  const code = (e as { code?: string }).code;
  if (code === 'EACCES' || code === 'EPERM') {
    return new SysfsError('E_SYSFS_PERMISSION', `permission denied to ${verb} ${path}`,
      verb === 'write' ? 'run as root, or grant write access to this attribute (e.g. a udev rule)' : 'run as root or relax the attribute\'s permissions (RAPL energy counters are root-only since Linux 5.10)');
  }
  if (code === 'ENOENT') return new SysfsError('E_SYSFS_MISSING', `${path} does not exist`);
  if (code === 'EINVAL') return new SysfsError('E_SYSFS_INVALID', `the kernel rejected the value written to ${path}`);
  return new SysfsError('E_SYSFS_IO', `cannot ${verb} ${path}: ${code ?? (e instanceof Error ? e.message : String(e))}`);
}

export function sysPath(root: string, ...parts: string[]): string {
  return join(root, ...parts);
}

export function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (e) {
    throw explain(e, path, 'read');
  }
}

export function readInt(path: string): number {
  const t = readText(path);
  const n = Number(t);
  if (!/^-?\d+$/.test(t) || !Number.isSafeInteger(n)) throw new SysfsError('E_SYSFS_FORMAT', `${path} holds '${t.slice(0, 40)}', not an integer`);
  return n;
}

export function readIntList(path: string): number[] {
  const t = readText(path);
  if (t === '') return [];
  return t.split(/\s+/).map((w) => {
    const n = Number(w);
    if (!/^\d+$/.test(w)) throw new SysfsError('E_SYSFS_FORMAT', `${path} holds '${w.slice(0, 40)}', not a list of integers`);
    return n;
  });
}

export function writeText(path: string, value: string): void {
  try {
    writeFileSync(path, value);
  } catch (e) {
    throw explain(e, path, 'write');
  }
}

export function exists(path: string): boolean {
  return existsSync(path);
}

export function list(path: string): string[] {
  try {
    return readdirSync(path).sort();
  } catch {
    return [];
  }
}
