/** Reads a JSON document from disk with one-line typed errors, and turns zod failures into messages that name the field. */
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { CoquantError } from '../errors.ts';

export async function readJsonFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new CoquantError('E_NOT_FOUND', `${path}: cannot read the ${what}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CoquantError('E_BAD_JSON', `${path}: not valid JSON (${(e as Error).message})`);
  }
}

/** `file: field a.b.c: message` for the first issue. */
export function zodWhere(e: z.ZodError, file: string): string {
  const i = e.issues[0];
  return `${file}: field ${i.path.join('.') || '(root)'}: ${i.message}`;
}

/** How a document's reader names it in errors: what it is, its error code, and where a good one comes from. */
export interface DocumentKind {
  what: string;
  code: string;
  hint: string;
}

/** Reads a JSON document and checks it against its schema; a mismatch names the first wrong field. */
export async function readDocument<S extends z.ZodType>(path: string, schema: S, kind: DocumentKind): Promise<z.infer<S>> {
  const p = schema.safeParse(await readJsonFile(path, kind.what));
  if (!p.success) throw new CoquantError(kind.code, zodWhere(p.error, path), { hint: kind.hint });
  return p.data;
}
