/**
 * Resolves a path written inside a model file (external data, shard names) against the
 * model's folder, refusing anything that could reach outside it: absolute paths, `..`
 * segments, and symlinks whose real target leaves the folder.
 */
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ModelFormatError } from './errors.ts';

function inside(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel !== '' && !rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel);
}

/** `what` names the referencing tensor or shard for the message. Returns the real path. */
export async function resolveInside(baseDir: string, ref: string, what: string): Promise<string> {
  const escape = (why: string) =>
    new ModelFormatError('E_PATH_ESCAPE', `${what}: path '${ref}' ${why}`, 'referenced data files must live in the model folder or below it');
  if (ref.length === 0) throw escape('is empty');
  if (ref.includes('\0')) throw escape('contains a NUL byte');
  if (isAbsolute(ref) || /^[a-zA-Z]:[\\/]/.test(ref) || ref.startsWith('\\')) throw escape('is absolute');
  if (ref.split(/[\\/]/).includes('..')) throw escape("contains '..'");
  const root = await realpath(baseDir);
  const candidate = resolve(root, ref);
  if (!inside(root, candidate)) throw escape('resolves outside the model folder');
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    throw new ModelFormatError('E_NOT_FOUND', `${what}: data file '${ref}' does not exist next to the model`, 'copy the external data file into the model folder under that name (or export the model with its weights inside)');
  }
  if (!inside(root, real)) throw escape(`is a symlink to '${real}', outside the model folder`);
  return real;
}
