/**
 * `npm run bench distortion`: the issue-3 speed goal. The bundled PP-OCRv4 rec model, 16
 * rendered calibration lines, 15 bit-widths (2..16) of one family. Baseline (same run): the
 * naive engine, sequential, onnxruntime on all cores, no full-precision cache. Then the
 * default (pipelined, ORT on cores − 1) with a cold and a warm cache, and one slower
 * quantizer (per-channel clip-l1, whose clipping search dominates).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDistortion, type DistortionOptions } from '../src/distortion/engine.ts';
import { bundledModels } from '../src/io/bundled-models.ts';
import { ppocrRecTask } from '../src/tasks/ppocr-rec.ts';

const recInputs = [{ name: 'x', type: 'float32', shape: ['p2o.DynamicDimension.0', 3, 48, 'p2o.DynamicDimension.1'] }];
const bits = Array.from({ length: 15 }, (_, i) => i + 2);
const cacheDir = await mkdtemp(join(tmpdir(), 'coquant-bench-'));
try {
  const calibration = await ppocrRecTask.makeInputs({ inputs: recInputs, outputs: [] }, { count: 16, seed: 1 });
  const base: DistortionOptions = {
    modelPath: bundledModels().rec,
    calibration,
    schemes: [{ family: 'uniform-symmetric', granularity: { kind: 'tensor' }, range: 'absmax' }],
    bits,
    task: ppocrRecTask,
  };
  const time = async (label: string, o: DistortionOptions) => {
    const t = performance.now();
    const doc = await runDistortion(o);
    const s = (performance.now() - t) / 1000;
    console.log(`${label.padEnd(46)} ${s.toFixed(2).padStart(7)} s   (fp cache ${doc.run.fpCache}, alpha ${doc.fit.alpha.toExponential(3)}, R² ${doc.fit.r2.toFixed(4)})`);
    return s;
  };
  console.log(`load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')} on ${availableParallelism()} cores`);
  const baseline = await time('baseline: sequential, all cores, no cache', { ...base, pipeline: false, cacheDir: null });
  const cold = await time('pipelined, cold cache', { ...base, cacheDir });
  const warm = await time('pipelined, warm cache', { ...base, cacheDir });
  const clip = await time('pipelined, warm, uniform-symmetric/channel/clip-l1', {
    ...base,
    schemes: [{ family: 'uniform-symmetric', granularity: { kind: 'channel' }, range: 'clip-l1' }],
    cacheDir,
  });
  console.log(`\nratios vs baseline: cold ${(baseline / cold).toFixed(2)}x, warm ${(baseline / warm).toFixed(2)}x faster; clip-l1 run takes ${(clip / warm).toFixed(2)}x the absmax run`);
  console.log(`goal: 16 images x 15 bit-widths <= 60 s -> ${warm <= 60 && cold <= 60 ? 'met' : 'NOT met'}`);
} finally {
  await rm(cacheDir, { recursive: true, force: true });
}
