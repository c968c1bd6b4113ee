/**
 * MatMulNBits: the reference packer against onnxruntime's CPU kernel, and the packer's own
 * round-trip bounds.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { packNBits, unpackNBits } from '../../src/formats/nbits-pack.ts';
import { quantizeMatMulNBits } from '../../src/formats/int4.ts';
import { decodeModel, encodeModel } from '../../src/formats/onnx-graph.ts';
import { matmulModel, randn } from './tiny-models.ts';

function matmul(x: Float32Array, w: Float32Array, M: number, K: number, N: number): Float64Array {
  const y = new Float64Array(M * N);
  for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) y[i * N + j] += x[i * K + k] * w[k * N + j];
  return y;
}

describe('MatMulNBits packer', () => {
  it('round trip: every dequantized weight is within half a step of the original (asymmetric blocks)', () => {
    // Invariant: with scale = (max−min)/(2^b−1) over a block that includes 0, |w − ŵ| ≤ scale/2 (+ float slack).
    fc.assert(
      fc.property(fc.constantFrom(2, 4, 8), fc.constantFrom(16, 32, 64), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 5 }), fc.integer(), (bits, bs, K, N, seed) => {
        const w = randn(K * N, seed, 0.5);
        const p = packNBits(w, K, N, { bits, blockSize: bs });
        const d = unpackNBits(p);
        for (let n = 0; n < N; n++)
          for (let k = 0; k < K; k++) {
            const s = p.scales[n * p.kBlocks + Math.floor(k / bs)];
            expect(Math.abs(d[k * N + n] - w[k * N + n])).toBeLessThanOrEqual(s / 2 + 1e-6);
          }
      }),
      { numRuns: 60 },
    );
  });

  it('packs 4-bit values low nibble first, as the operator spec says', () => {
    // One column, K = 16: values chosen so q = k exactly (min 0, max 15 → scale 1, zero point 0).
    const w = Float32Array.from({ length: 16 }, (_, k) => k);
    const p = packNBits(w, 16, 1, { bits: 4, blockSize: 16 });
    expect(p.scales[0]).toBe(1);
    expect(p.zeroPoints![0]).toBe(0);
    expect(Array.from(p.b.slice(0, 2))).toEqual([0x10, 0x32]);
  });

  it('onnxruntime MatMulNBits equals a float MatMul with the dequantized weights (bits 2/4/8, several block sizes, K not a block multiple)', async () => {
    const K = 120;
    const N = 24;
    const M = 3;
    const w = randn(K * N, 11, 0.2);
    const x = randn(M * K, 12);
    for (const [bits, bs, symmetric] of [
      [4, 32, false],
      [4, 64, true],
      [4, 128, false],
      [2, 16, false],
      [8, 64, false],
      [8, 256, true],
    ] as const) {
      const r = quantizeMatMulNBits(decodeModel(matmulModel(w, K, N)), { bits, blockSize: bs, symmetric });
      expect(r.nodes).toBe(1);
      const s = await ort.InferenceSession.create(encodeModel(r.model), { logSeverityLevel: 3 });
      const y = (await s.run({ x: new ort.Tensor('float32', x, [M, K]) })).y.data as Float32Array;
      await s.release();
      const ref = matmul(x, unpackNBits(packNBits(w, K, N, { bits, blockSize: bs, symmetric })), M, K, N);
      const exact = matmul(x, w, M, K, N);
      let maxDiff = 0;
      let maxQuantErr = 0;
      for (let i = 0; i < ref.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(ref[i] - y[i]));
        maxQuantErr = Math.max(maxQuantErr, Math.abs(ref[i] - exact[i]));
      }
      expect(maxDiff, `bits ${bits} block ${bs}`).toBeLessThan(1e-4);
      // The check is not vacuous: quantization error is orders of magnitude above the tolerance.
      expect(maxQuantErr).toBeGreaterThan(1e-3);
    }
  });
});
