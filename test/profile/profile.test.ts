import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundledModels, openWeights, selectWeights, toFloat32 } from '../../src/io/index.ts';
import { generateCheckpoint } from '../../src/io/synthetic-checkpoint.ts';
import { fakeQuantize, parseQuantSpec } from '../../src/quant/index.ts';
import { profileDocumentSchema } from '../../src/documents/profile-document.ts';
import { profileModel, resolveOptions, specsFromFlags, type ProfileDocument } from '../../src/profile/index.ts';
import { ksStatistic, expCdf } from '../../src/theory/ks.ts';

const dir = mkdtempSync(join(tmpdir(), 'coquant-profile-'));
const f16Path = join(dir, 'small-f16.safetensors');

/** Independent check: mean |w − Q(w)| from fakeQuantize's float32 output. */
function directL1(values: Float32Array, shape: number[], spec: string, bits: number): number {
  const q = fakeQuantize(values, shape, { ...parseQuantSpec(spec), bits }).values;
  let s = 0;
  for (let i = 0; i < values.length; i++) s += Math.abs(values[i] - q[i]);
  return s / values.length;
}

function entry(doc: ProfileDocument, scope: string, label: string, bits: number) {
  const [family, granularity, range] = label.split('/');
  const d = doc.distortion.find((x) => x.scope === scope && x.family === family && x.granularity === granularity && x.range === range && x.bits === bits);
  if (!d) throw new Error(`no entry ${scope} ${label} ${bits}`);
  return d;
}

beforeAll(async () => {
  await generateCheckpoint({ path: f16Path, params: 60_000, dtype: 'float16', seed: 7, layers: 1 });
});

describe('profile of the real PaddleOCR rec model', () => {
  let doc: ProfileDocument;
  beforeAll(async () => {
    doc = await profileModel(
      bundledModels().rec,
      resolveOptions({ specs: specsFromFlags({ quant: ['uniform-symmetric/tensor/absmax', 'uniform-symmetric/channel/clip-l1', 'pot/tensor/absmax', 'uniform-asymmetric/tensor/absmax'] }), bits: [2, 4, 8] }),
    );
  }, 120_000);

  it('conforms to the documented schema', () => {
    expect(profileDocumentSchema.safeParse(JSON.parse(JSON.stringify(doc))).success).toBe(true);
    expect(doc.groups.length).toBeGreaterThan(10);
  });

  it('per-channel clip-l1 beats per-tensor absmax at 4 bits (outliers stretch the per-tensor range)', () => {
    expect(entry(doc, 'model', 'uniform-symmetric/channel/clip-l1', 4).l1).toBeLessThan(entry(doc, 'model', 'uniform-symmetric/tensor/absmax', 4).l1);
  });

  it('L1 decreases with bits for the uniform families', () => {
    for (const label of ['uniform-symmetric/tensor/absmax', 'uniform-asymmetric/tensor/absmax', 'uniform-symmetric/channel/clip-l1']) {
      expect(entry(doc, 'model', label, 4).l1).toBeLessThan(entry(doc, 'model', label, 2).l1);
      expect(entry(doc, 'model', label, 8).l1).toBeLessThan(entry(doc, 'model', label, 4).l1);
    }
  });

  it('model-level entries and totals are parameter-weighted aggregates of the groups', () => {
    const N = doc.groups.reduce((a, g) => a + g.params, 0);
    expect(doc.totals.params).toBe(N);
    const meanAbs = doc.groups.reduce((a, g) => a + g.params * g.meanAbs, 0) / N;
    expect(doc.totals.meanAbs).toBeCloseTo(meanAbs, 12);
    expect(doc.totals.lambda).toBeCloseTo(1 / meanAbs, 8);
    for (const d of doc.distortion.filter((x) => x.scope === 'model')) {
      const weighted = doc.groups.reduce((a, g) => a + g.params * entry(doc, g.name, `${d.family}/${d.granularity}/${d.range}`, d.bits).l1, 0) / N;
      expect(Math.abs(d.l1 - weighted)).toBeLessThanOrEqual(1e-12 * weighted);
      expect(d.relL1).toBeCloseTo(d.l1 / doc.totals.meanAbs, 12);
    }
  });

  it('group numbers match fakeQuantize and a brute-force sorted KS on the raw tensor', async () => {
    const src = await openWeights(bundledModels().rec);
    try {
      const info = selectWeights(src.tensors).sort((a, b) => b.size - a.size)[0];
      const values = toFloat32(await src.read(info.name));
      const g = doc.groups.find((x) => x.name === info.name)!;
      for (const [label, bits] of [['uniform-symmetric/tensor/absmax', 4], ['uniform-symmetric/channel/clip-l1', 4], ['pot/tensor/absmax', 8]] as const) {
        const want = directL1(values, info.shape, label, bits);
        // fakeQuantize rounds its output to float32; the profile sums in float64.
        expect(Math.abs(entry(doc, info.name, label, bits).l1 - want)).toBeLessThanOrEqual(1e-6 * want);
      }
      const exact = ksStatistic(Float64Array.from(values, Math.abs), expCdf(g.lambda));
      expect(Math.abs(g.ks - exact)).toBeLessThanOrEqual(g.ksBound! + 1e-12);
      expect(g.ksBound!).toBeLessThan(0.0015);
    } finally {
      await src.close();
    }
  });
});

describe('fp16 checkpoints: the histogram path is exact', () => {
  it('histogram, mixed and worker paths agree with direct fakeQuantize; fp16 KS is exact', async () => {
    const specs = ['uniform-symmetric/tensor/absmax', 'uniform-asymmetric/tensor/clip-mse', 'pot/tensor/absmax', 'fp8-e4m3/tensor/absmax'];
    const hist = await profileModel(f16Path, resolveOptions({ specs: specsFromFlags({ quant: specs }), bits: [3, 8, 16] }));
    expect(hist.run?.tensorPaths).toEqual({ histogram16: hist.groups.length });
    const mixed = await profileModel(f16Path, resolveOptions({ specs: specsFromFlags({ quant: [...specs, 'pot/channel/absmax'] }), bits: [3, 8, 16] }));
    const threaded = await profileModel(f16Path, resolveOptions({ specs: specsFromFlags({ quant: specs }), bits: [3, 8, 16], threads: 2 }));
    expect(threaded.distortion).toEqual(hist.distortion);
    expect(threaded.groups).toEqual(hist.groups);
    const src = await openWeights(f16Path);
    try {
      for (const info of selectWeights(src.tensors)) {
        const values = toFloat32(await src.read(info.name));
        const g = hist.groups.find((x) => x.name === info.name)!;
        expect(g.ksBound).toBe(0);
        expect(g.ks).toBeCloseTo(ksStatistic(Float64Array.from(values, Math.abs), expCdf(g.lambda)), 12);
        for (const label of specs) {
          for (const bits of [3, 8, 16]) {
            if (label.startsWith('fp8') && bits !== 8) continue;
            const h = entry(hist, info.name, label, bits).l1;
            expect(entry(mixed, info.name, label, bits).l1).toBe(h);
            const want = directL1(values, info.shape, label, bits);
            // fakeQuantize rounds outputs to float32 (≤ 2^-24 relative per value): at 16 bits that is comparable to the error itself.
            expect(Math.abs(h - want)).toBeLessThanOrEqual(1e-6 * want + 6e-8 * g.meanAbs);
          }
        }
      }
    } finally {
      await src.close();
    }
  }, 60_000);

  it('NaN in an fp16 tensor is a typed error naming the tensor', async () => {
    const p = join(dir, 'nan.safetensors');
    const header = Buffer.from(JSON.stringify({ 'blk.w': { dtype: 'F16', shape: [2, 2], data_offsets: [0, 8] } }));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    writeFileSync(p, Buffer.concat([len, header, Buffer.from(new Uint16Array([0x3c00, 0x7e00, 0, 0xbc00]).buffer)]));
    await expect(profileModel(p, resolveOptions({ specs: specsFromFlags({ quant: ['pot'] }), bits: [4] }))).rejects.toMatchObject({ code: 'E_NON_FINITE', message: expect.stringContaining('blk.w') });
  });
});

describe('coquant profile CLI', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, ['bin/coquant.mjs', 'profile', ...args], { encoding: 'utf8', cwd: join(import.meta.dirname, '..', '..') });

  it('--json prints exactly one schema-conforming JSON document on stdout', () => {
    const r = cli([f16Path, '--json', '--granularity', 'tensor,channel', '--range', 'absmax', '--bits', '4,8']);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(profileDocumentSchema.safeParse(doc).success).toBe(true);
    expect(doc.configs).toEqual(['uniform-symmetric/tensor/absmax', 'uniform-symmetric/channel/absmax', 'uniform-asymmetric/tensor/absmax', 'uniform-asymmetric/channel/absmax', 'pot/tensor/absmax', 'pot/channel/absmax']);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
  }, 60_000);

  it('writes the table, profile.json and two SVG plots without --json', () => {
    const out = join(dir, 'out');
    const r = cli([f16Path, '--out', out, '--quant', 'pot/tensor/absmax', 'uniform-symmetric/channel/clip-l1', '--bits', '2-6']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('model-level relative L1');
    for (const f of ['magnitudes.svg', 'distortion.svg']) expect(spawnSync('head', ['-c', '200', join(out, f)], { encoding: 'utf8' }).stdout).toContain('<svg');
    expect(profileDocumentSchema.safeParse(JSON.parse(spawnSync('cat', [join(out, 'profile.json')], { encoding: 'utf8' }).stdout)).success).toBe(true);
  }, 60_000);

  it('user mistakes exit non-zero with one line and no stack trace', () => {
    const bad = cli([f16Path, '--bits', '1-20', '--json']);
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^coquant: error: bit-widths '1-20' are outside 2\.\.16/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    const missing = cli([join(dir, 'nope.safetensors'), '--json']);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/no such file/);
    const spec = cli([f16Path, '--quant', 'pot/row/absmax']);
    expect(spec.status).toBe(2);
    expect(spec.stderr).toMatch(/unknown granularity 'row'/);
  }, 60_000);
});
