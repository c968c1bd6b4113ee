/**
 * Profiles one tensor: moments, the magnitude histogram for the exponential fit, and the error
 * sums of every requested (spec, bit-width). Two paths, chosen per spec:
 *  - 16-bit floats (fp16/bf16), per-tensor specs: a 65536-bin histogram of raw codes built in one
 *    streaming pass. A per-tensor quantizer is a deterministic function of the value, so its exact
 *    L1 and squared error are weighted sums over the ≤ 65536 distinct values.
 *  - everything else: the tensor decoded to float32; per-tensor absmax configs are fused (every
 *    config runs over one cache-sized block before the next block), per-channel/group configs run
 *    slice by slice; each slice's bounds and sorted copy are made once and shared by every clip
 *    search over it (all families and bit-widths).
 * The result is plain data so a worker thread can produce it.
 */
import { assertFinite, float16Table, NonFiniteWeightError, readChunks, toFloat32, type TensorInfo, type WeightSource } from '../io/index.ts';
import { chooseLevels, errorSumsMany, forEachSlice, levelParams, sliceBounds, type QuantSpec } from '../quant/index.ts';
import { chooseLevelsForBits, prepareSlice } from '../quant/range-search.ts';
import { effectiveBits } from '../quant/validate.ts';
import { float32MagnitudeKey, MAGNITUDE_BINS, type MagnitudeKey } from '../theory/exponential.ts';
import { bitsFor, type ProfileOptions } from './options.ts';

/** One measured (spec, bits) pair, in the order `entryList` gives. */
export interface Entry {
  spec: QuantSpec;
  bits: number;
}

export function entryList(opts: Pick<ProfileOptions, 'specs' | 'bits'>): Entry[] {
  return opts.specs.flatMap((spec) => bitsFor(spec, opts.bits).map((bits) => ({ spec, bits })));
}

export interface TensorProfile {
  name: string;
  shape: number[];
  dtype: TensorInfo['dtype'];
  n: number;
  sum: number;
  sumAbs: number;
  sumSq: number;
  maxAbs: number;
  magKey: MagnitudeKey;
  /** Counts per magnitude bin (see src/theory/exponential.ts). */
  magCounts: Float64Array;
  /** [l1Sum, sqSum] per entry, flattened. */
  sums: Float64Array;
  path: 'histogram16' | 'direct' | 'mixed';
}

const BLOCK = 8192;

/** Raw 16-bit codes → histogram; handles chunks whose byte offset is odd by copying. */
export function addCodes(hist: Uint32Array, bytes: Uint8Array): void {
  const u16 = bytes.byteOffset % 2 === 0 ? new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 1) : new Uint16Array(bytes.slice().buffer);
  for (let i = 0; i < u16.length; i++) hist[u16[i]]++;
}

/** Decoded value of every 16-bit code. */
function codeValues(kind: 'float16' | 'bfloat16'): Float32Array {
  if (kind === 'float16') return float16Table();
  const u = new Uint32Array(65536);
  for (let i = 0; i < 65536; i++) u[i] = i << 16;
  return new Float32Array(u.buffer);
}

/** Distinct values with their counts, moments and magnitude bins, from a code histogram. */
export function summarizeHistogram16(hist: Uint32Array, kind: 'float16' | 'bfloat16', name: string) {
  const table = codeValues(kind);
  const expMask = kind === 'float16' ? 0x7c00 : 0x7f80;
  let m = 0;
  for (let c = 0; c < 65536; c++) if (hist[c] > 0) m++;
  const values = new Float64Array(m);
  const counts = new Float64Array(m);
  const magCounts = new Float64Array(MAGNITUDE_BINS);
  let n = 0;
  let sum = 0;
  let sumAbs = 0;
  let sumSq = 0;
  let maxAbs = 0;
  let lo = 0;
  let hi = 0;
  let bad = 0;
  let j = 0;
  for (let c = 0; c < 65536; c++) {
    const k = hist[c];
    if (k === 0) continue;
    if ((c & expMask) === expMask) bad += k;
    const x = table[c];
    values[j] = x;
    counts[j++] = k;
    magCounts[c & 0x7fff] += k;
    n += k;
    sum += x * k;
    sumAbs += Math.abs(x) * k;
    sumSq += x * x * k;
    if (Math.abs(x) > maxAbs) maxAbs = Math.abs(x);
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  if (bad > 0) throw new NonFiniteWeightError(`tensor '${name}' holds ${bad} NaN or Inf value(s)`);
  return { values, counts, magCounts, n, sum, sumAbs, sumSq, maxAbs, bounds: [lo, hi] as [number, number] };
}

/** Moments and float32-keyed magnitude bins of decoded values. */
export function summarizeValues(values: Float32Array) {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const magCounts = new Float64Array(MAGNITUDE_BINS);
  let sum = 0;
  let sumAbs = 0;
  let sumSq = 0;
  let maxAbs = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    const a = Math.abs(x);
    sum += x;
    sumAbs += a;
    sumSq += x * x;
    if (a > maxAbs) maxAbs = a;
    magCounts[float32MagnitudeKey(bits[i])]++;
  }
  return { n: values.length, sum, sumAbs, sumSq, maxAbs, magCounts };
}

/** Error sums of per-tensor entries over a weighted sample (a histogram) or over raw values. */
function tensorEntrySums(entries: Entry[], idx: number[], v: Float32Array | Float64Array, w: Float64Array | null, bounds: [number, number], out: Float64Array): void {
  // Fused: absmax configs share one walk over cache-sized blocks.
  const fused = idx.filter((i) => entries[i].spec.range === 'absmax');
  const params = fused.map((i) => levelParams(entries[i].spec.family, effectiveBits({ family: entries[i].spec.family, bits: entries[i].bits }), bounds[0], bounds[1]));
  const acc = params.map(() => new Float64Array(2));
  for (let s = 0; s < v.length; s += BLOCK) errorSumsMany(params, v, w, s, Math.min(v.length, s + BLOCK), acc);
  fused.forEach((i, k) => {
    out[2 * i] += acc[k][0];
    out[2 * i + 1] += acc[k][1];
  });
  for (const i of idx) {
    if (entries[i].spec.range === 'absmax') continue;
    const { sums } = chooseLevels(entries[i].spec.family, effectiveBits({ family: entries[i].spec.family, bits: entries[i].bits }), entries[i].spec.range, v, w, 0, v.length, bounds);
    out[2 * i] += sums[0];
    out[2 * i + 1] += sums[1];
  }
}

/**
 * Error sums of per-channel / per-group entries, slice by slice. Entries of one granularity share
 * the slice's bounds and sorted copy; the bit-widths of one family and range go through one
 * `chooseLevelsForBits` call (pot reuses its search once wider grids stop mattering).
 */
function sliceEntrySums(entries: Entry[], idx: number[], values: Float32Array, shape: number[], out: Float64Array): void {
  const byGran = new Map<string, Map<string, number[]>>();
  for (const i of idx) {
    const { spec } = entries[i];
    const g = JSON.stringify(spec.granularity);
    const inner = byGran.get(g) ?? new Map<string, number[]>();
    byGran.set(g, inner);
    const k = `${spec.family}/${spec.range}`;
    inner.set(k, [...(inner.get(k) ?? []), i]);
  }
  for (const groups of byGran.values()) {
    const first = [...groups.values()][0][0];
    const lists = [...groups.values()].map((group) => ({ group, spec: entries[group[0]].spec, bits: group.map((i) => effectiveBits({ family: entries[i].spec.family, bits: entries[i].bits })) }));
    const needsSorted = lists.some((l) => l.spec.range !== 'absmax');
    forEachSlice(values.length, shape, entries[first].spec.granularity, (s, e) => {
      const slice = needsSorted ? prepareSlice(values, s, e) : undefined;
      const bounds = slice?.bounds ?? sliceBounds(values, s, e);
      for (const { group, spec, bits } of lists) {
        if (slice && spec.range !== 'absmax') {
          const res = chooseLevelsForBits(spec.family, bits, spec.range, values, s, e, slice);
          group.forEach((i, k) => {
            out[2 * i] += res[k].sums[0];
            out[2 * i + 1] += res[k].sums[1];
          });
          continue;
        }
        group.forEach((i, k) => {
          const { sums } = chooseLevels(spec.family, bits[k], spec.range, values, null, s, e, bounds);
          out[2 * i] += sums[0];
          out[2 * i + 1] += sums[1];
        });
      }
    });
  }
}

/** Profiles one tensor of a source. `onChunk` reports streamed elements for progress. */
export async function profileTensor(source: WeightSource, info: TensorInfo, opts: ProfileOptions, onChunk?: (elems: number) => void): Promise<TensorProfile> {
  const entries = entryList(opts);
  const sums = new Float64Array(2 * entries.length);
  const tensorIdx = entries.map((_, i) => i).filter((i) => entries[i].spec.granularity.kind === 'tensor');
  const sliceIdx = entries.map((_, i) => i).filter((i) => entries[i].spec.granularity.kind !== 'tensor');
  const base = { name: info.name, shape: [...info.shape], dtype: info.dtype, sums };

  if ((info.dtype === 'float16' || info.dtype === 'bfloat16') && sliceIdx.length === 0) {
    const hist = new Uint32Array(65536);
    for await (const chunk of readChunks(source, info.name, opts.chunkElems)) {
      addCodes(hist, chunk.bytes);
      onChunk?.(chunk.count);
    }
    const h = summarizeHistogram16(hist, info.dtype, info.name);
    tensorEntrySums(entries, tensorIdx, h.values, h.counts, h.bounds, sums);
    return { ...base, n: h.n, sum: h.sum, sumAbs: h.sumAbs, sumSq: h.sumSq, maxAbs: h.maxAbs, magKey: info.dtype, magCounts: h.magCounts, path: 'histogram16' };
  }

  const raw = await source.read(info.name);
  const values = toFloat32(raw);
  assertFinite(values, info);
  let path: TensorProfile['path'] = 'direct';
  let magKey: MagnitudeKey = 'float32';
  let stats: ReturnType<typeof summarizeValues>;
  if (info.dtype === 'float16' || info.dtype === 'bfloat16') {
    // Per-tensor specs still take the exact histogram route; slices need the decoded values.
    const hist = new Uint32Array(65536);
    addCodes(hist, raw.bytes);
    const h = summarizeHistogram16(hist, info.dtype, info.name);
    tensorEntrySums(entries, tensorIdx, h.values, h.counts, h.bounds, sums);
    stats = h;
    magKey = info.dtype;
    path = 'mixed';
  } else {
    stats = summarizeValues(values);
    if (tensorIdx.length > 0) tensorEntrySums(entries, tensorIdx, values, null, sliceBounds(values, 0, values.length), sums);
  }
  sliceEntrySums(entries, sliceIdx, values, info.shape, sums);
  onChunk?.(info.size);
  return { ...base, n: stats.n, sum: stats.sum, sumAbs: stats.sumAbs, sumSq: stats.sumSq, maxAbs: stats.maxAbs, magKey, magCounts: stats.magCounts, path };
}
