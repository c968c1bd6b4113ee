/**
 * Reference packer for com.microsoft MatMulNBits weights (ORT ContribOperators.md):
 *  - the MatMul weight W is [K, N]; MatMulNBits stores it transposed, one row per output n;
 *  - each row is cut into k_blocks = ceil(K / block_size) blocks along K (the tail is zero-padded);
 *  - every block has a float scale and an unsigned zero point: w ≈ (q − zp) · scale, q in [0, 2^bits);
 *  - B is uint8 [N, k_blocks, blob_size] with blob_size = block_size · bits / 8, values packed
 *    least-significant bits first (for 4 bits: element 2j in the low nibble of byte j, 2j+1 in the high);
 *  - scales are [N, k_blocks]; packed zero points are uint8 [N, ceil(k_blocks · bits / 8)], packed
 *    the same way per row. Without zero points the kernel assumes 2^(bits−1).
 * Pure arithmetic: no I/O, no onnxruntime.
 */
import { roundHalfEven } from './quant-params.ts';

export interface NBitsConfig {
  bits: number;
  blockSize: number;
  /** Symmetric blocks use the implicit zero point 2^(bits−1) and store no zero points. */
  symmetric?: boolean;
}

export interface NBitsPacked {
  K: number;
  N: number;
  bits: number;
  blockSize: number;
  kBlocks: number;
  blobSize: number;
  /** [N, kBlocks, blobSize] */
  b: Uint8Array;
  /** [N, kBlocks] */
  scales: Float32Array;
  /** [N, ceil(kBlocks·bits/8)], absent when symmetric. */
  zeroPoints?: Uint8Array;
}

export function validateNBits(cfg: NBitsConfig): void {
  if (![2, 4, 8].includes(cfg.bits)) throw new RangeError(`MatMulNBits packing supports 2, 4 or 8 bits here, not ${cfg.bits}`);
  const bs = cfg.blockSize;
  if (!Number.isInteger(bs) || bs < 16 || (bs & (bs - 1)) !== 0) throw new RangeError(`block size must be a power of two ≥ 16, not ${bs}`);
}

/** Writes `v` (< 2^bits) as element `i` of an LSB-first bit stream starting at `offset`. */
function putBits(buf: Uint8Array, offset: number, i: number, bits: number, v: number): void {
  const bit = i * bits;
  buf[offset + (bit >> 3)] |= v << (bit & 7);
}

function getBits(buf: Uint8Array, offset: number, i: number, bits: number): number {
  const bit = i * bits;
  return (buf[offset + (bit >> 3)] >> (bit & 7)) & ((1 << bits) - 1);
}

/** Packs the MatMul weight `w` ([K, N], row-major). */
export function packNBits(w: Float32Array, K: number, N: number, cfg: NBitsConfig): NBitsPacked {
  validateNBits(cfg);
  if (w.length !== K * N) throw new RangeError(`weight holds ${w.length} values, expected K·N = ${K * N}`);
  const { bits, blockSize } = cfg;
  const levels = (1 << bits) - 1;
  const kBlocks = Math.ceil(K / blockSize);
  const blobSize = (blockSize * bits) / 8;
  const zpRow = Math.ceil((kBlocks * bits) / 8);
  const b = new Uint8Array(N * kBlocks * blobSize);
  const scales = new Float32Array(N * kBlocks);
  const zeroPoints = cfg.symmetric ? undefined : new Uint8Array(N * zpRow);
  const mid = 1 << (bits - 1);
  for (let n = 0; n < N; n++) {
    for (let blk = 0; blk < kBlocks; blk++) {
      const k0 = blk * blockSize;
      const k1 = Math.min(K, k0 + blockSize);
      let lo = 0;
      let hi = 0;
      let amax = 0;
      for (let k = k0; k < k1; k++) {
        const v = w[k * N + n];
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
        amax = Math.max(amax, Math.abs(v));
      }
      let scale: number;
      let zp: number;
      if (cfg.symmetric) {
        // Levels mid−(mid−1) … mid+(mid−1): symmetric around the implicit zero point.
        scale = amax > 0 ? amax / (mid - 1 || 1) : 1;
        zp = mid;
      } else {
        scale = hi > lo ? (hi - lo) / levels : 1;
        zp = Math.min(levels, Math.max(0, roundHalfEven(-lo / Math.fround(scale))));
      }
      const s = Math.fround(scale);
      scales[n * kBlocks + blk] = s;
      if (zeroPoints) putBits(zeroPoints, n * zpRow, blk, bits, zp);
      const off = (n * kBlocks + blk) * blobSize;
      for (let k = k0; k < k0 + blockSize; k++) {
        const v = k < K ? w[k * N + n] : 0;
        const q = Math.min(levels, Math.max(0, roundHalfEven(v / s) + zp));
        putBits(b, off, k - k0, bits, q);
      }
    }
  }
  return { K, N, bits, blockSize, kBlocks, blobSize, b, scales, zeroPoints };
}

/** The float [K, N] weight a packed MatMulNBits weight stands for. */
export function unpackNBits(p: NBitsPacked): Float32Array {
  const { K, N, bits, blockSize, kBlocks, blobSize } = p;
  const zpRow = Math.ceil((kBlocks * bits) / 8);
  const mid = 1 << (bits - 1);
  const w = new Float32Array(K * N);
  for (let n = 0; n < N; n++)
    for (let blk = 0; blk < kBlocks; blk++) {
      const s = p.scales[n * kBlocks + blk];
      const zp = p.zeroPoints ? getBits(p.zeroPoints, n * zpRow, blk, bits) : mid;
      const off = (n * kBlocks + blk) * blobSize;
      for (let k = blk * blockSize; k < Math.min(K, (blk + 1) * blockSize); k++) {
        w[k * N + n] = (getBits(p.b, off, k - blk * blockSize, bits) - zp) * s;
      }
    }
  return w;
}

/** Bytes the packed tensors occupy (B, scales, zero points). */
export function packedBytes(p: NBitsPacked): number {
  return p.b.byteLength + p.scales.byteLength + (p.zeroPoints?.byteLength ?? 0);
}
