/**
 * Reader for NumPy .npz archives (np.savez and np.savez_compressed): a zip file of .npy
 * members, stored or deflated, with zip64 records where numpy writes them. Every offset and
 * size is checked against the file before anything is read or inflated, so a hostile archive
 * is a typed error, never a huge allocation.
 */
import { inflateRawSync } from 'node:zlib';
import { CoquantError } from '../errors.ts';
import { parseNpy } from './npy.ts';
import type { HostTensor } from './tensor.ts';

export class NpzError extends CoquantError {
  constructor(file: string, what: string, hint?: string) {
    super('E_NPZ', `${file}: ${what}`, { hint: hint ?? 'write it with numpy: np.savez(path, name=array, ...)' });
  }
}

/** Members larger than this are refused (uncompressed). */
const MAX_MEMBER_BYTES = 2 ** 31 - 1;
const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

export function isNpz(buf: Uint8Array): boolean {
  return buf.length >= 4 && buf[0] === 0x50 && buf[1] === 0x4b && buf[2] === 0x03 && buf[3] === 0x04;
}

/** Parses .npz bytes into arrays by name (the member name without `.npy`), in archive order. */
export function parseNpz(buf: Uint8Array, name = '<npz>'): Map<string, HostTensor> {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const u16 = (o: number) => dv.getUint16(o, true);
  const u32 = (o: number) => dv.getUint32(o, true);
  const u64 = (o: number) => {
    const v = dv.getBigUint64(o, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new NpzError(name, `a zip64 field at byte ${o} is larger than any file`);
    return Number(v);
  };
  const need = (o: number, n: number, what: string) => {
    if (o < 0 || o + n > buf.length) throw new NpzError(name, `${what} at byte ${o} runs past the end of the file (${buf.length} bytes); the archive is truncated or corrupt`);
  };
  let eocd = -1;
  for (let o = buf.length - 22; o >= Math.max(0, buf.length - 22 - 0xffff); o--) {
    if (u32(o) === EOCD) {
      eocd = o;
      break;
    }
  }
  if (eocd < 0) throw new NpzError(name, 'not a zip archive (no end-of-central-directory record); truncated, or not an .npz file');
  let entries = u16(eocd + 10);
  let cdSize = u32(eocd + 12);
  let cdOffset = u32(eocd + 16);
  if (entries === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    need(loc, 20, 'the zip64 locator');
    if (u32(loc) !== ZIP64_LOCATOR) throw new NpzError(name, `missing zip64 locator before byte ${eocd}`);
    const z = u64(loc + 8);
    need(z, 56, 'the zip64 end record');
    if (u32(z) !== ZIP64_EOCD) throw new NpzError(name, `bad zip64 end record signature at byte ${z}`);
    entries = u64(z + 32);
    cdSize = u64(z + 40);
    cdOffset = u64(z + 48);
  }
  need(cdOffset, cdSize, 'the central directory');
  const out = new Map<string, HostTensor>();
  let p = cdOffset;
  for (let k = 0; k < entries; k++) {
    need(p, 46, `central directory entry ${k}`);
    if (u32(p) !== CENTRAL) throw new NpzError(name, `bad central directory entry ${k} at byte ${p}`);
    const method = u16(p + 10);
    let compSize = u32(p + 20);
    let size = u32(p + 24);
    const nameLen = u16(p + 28);
    const extraLen = u16(p + 30);
    const commentLen = u16(p + 32);
    let localOffset = u32(p + 42);
    need(p + 46, nameLen + extraLen, `the name of entry ${k}`);
    const member = new TextDecoder().decode(buf.subarray(p + 46, p + 46 + nameLen));
    // zip64 extra field: the 64-bit values of the fields that read 0xFFFFFFFF, in this order.
    for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen; ) {
      const id = u16(e);
      const len = u16(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        if (size === 0xffffffff) {
          size = u64(q);
          q += 8;
        }
        if (compSize === 0xffffffff) {
          compSize = u64(q);
          q += 8;
        }
        if (localOffset === 0xffffffff) localOffset = u64(q);
      }
      e += 4 + len;
    }
    p += 46 + nameLen + extraLen + commentLen;
    if (!member.endsWith('.npy')) continue;
    if (size > MAX_MEMBER_BYTES) throw new NpzError(name, `member ${member} claims ${size} bytes, over the 2 GiB limit`);
    need(localOffset, 30, `the local header of ${member}`);
    if (u32(localOffset) !== LOCAL) throw new NpzError(name, `bad local header for ${member} at byte ${localOffset}`);
    const dataStart = localOffset + 30 + u16(localOffset + 26) + u16(localOffset + 28);
    need(dataStart, compSize, `the data of ${member}`);
    const raw = buf.subarray(dataStart, dataStart + compSize);
    let bytes: Uint8Array;
    if (method === 0) {
      if (compSize !== size) throw new NpzError(name, `stored member ${member} has compressed size ${compSize} ≠ size ${size}`);
      bytes = raw;
    } else if (method === 8) {
      try {
        bytes = inflateRawSync(raw, { maxOutputLength: Math.max(1, size) });
      } catch (e) {
        throw new NpzError(name, `member ${member} does not inflate: ${(e as Error).message}`);
      }
      if (bytes.length !== size) throw new NpzError(name, `member ${member} inflates to ${bytes.length} bytes, not the ${size} its header says`);
    } else {
      throw new NpzError(name, `member ${member} uses zip compression method ${method}; only stored (0) and deflate (8) are supported`);
    }
    out.set(member.slice(0, -4), parseNpy(bytes, `${name}:${member}`));
  }
  return out;
}
