/**
 * The calibrated delay model on this CPU: measured latency table per format and bit-width, the
 * fitted SPEC §5 constants, and the prediction error on held-out bit-widths (leave one
 * bit-width out), for the formats whose kernels really change with bits (fp32, qdq-int8, int4).
 * Baseline: the fp32 row measured in the same interleaved run (ratios are fp32 / row).
 * Models: the PP-OCRv4 rec model (mostly Conv: int4 covers only its MatMuls) and a generated
 * MatMul-only FC model 1024-4096-4096-1024 (int4 covers every weight).
 * Run: npm run bench calibrate   (BENCH_THREADS, BENCH_SECONDS to change threads / per-row cap)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCalibration } from '../src/app/calibrate-command.ts';
import { writeFcModel } from '../src/synth/fc-model.ts';
import type { DeviceProfile } from '../src/plan/device-profile.ts';

const threads = Number(process.env.BENCH_THREADS ?? 1);
const seconds = Number(process.env.BENCH_SECONDS ?? 6);
const pct = (x: number | null) => (x === null ? '—' : `${(100 * x).toFixed(1)}%`);

function report(title: string, p: DeviceProfile): void {
  console.log(`\n### ${title} (N = ${p.subModel.params.toLocaleString('en-US')} params, ${p.host.intraOpThreads} thread(s), ${((p.host.nominalHz ?? 0) / 1e9).toFixed(2)} GHz)\n`);
  const fp = p.rows.find((r) => r.format === 'fp32')!;
  console.log('| format | bits | median ms | p10 ms | p90 ms | ±CI 95% | runs | fp32 / row |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of p.rows) console.log(`| ${r.format} | ${r.bits} | ${(r.medianS * 1e3).toFixed(2)} | ${(r.p10S * 1e3).toFixed(2)} | ${(r.p90S * 1e3).toFixed(2)} | ${pct(r.ciHalfRel)} | ${r.reps} | ${(fp.medianS / r.medianS).toFixed(2)}× |`);
  const f = p.fit!;
  console.log(`\nfit on ${f.formats.join(', ')}: pure c = ${f.cyclesPerParamBit.toPrecision(4)} cycles/param/bit (R² ${f.r2.toFixed(3)}, max rel. err ${pct(f.maxRelErr)}); affine c = ${f.affine.cyclesPerParamBit.toPrecision(4)}, t0 = ${(f.affine.t0 * 1e3).toFixed(2)} ms (R² ${f.affine.r2.toFixed(3)}, max rel. err ${pct(f.affine.maxRelErr)})`);
  console.log('\n| held-out row | measured ms | pure pred. ms | pure err | affine pred. ms | affine err |');
  console.log('|---|---|---|---|---|---|');
  for (const h of f.heldOut.points) console.log(`| ${h.format} ${h.bits}-bit | ${(h.measuredS * 1e3).toFixed(2)} | ${(h.pureS * 1e3).toFixed(2)} | ${pct(h.pureRelErr)} | ${(h.affineS * 1e3).toFixed(2)} | ${pct(h.affineRelErr)} |`);
  console.log(`\nheld-out error: pure max ${pct(f.heldOut.pureMaxRelErr)} / mean ${pct(f.heldOut.pureMeanRelErr)}; affine max ${pct(f.heldOut.affineMaxRelErr)} / mean ${pct(f.heldOut.affineMeanRelErr)} (goal ≤ 10%)`);
}

const common = { intraOpThreads: threads, maxSeconds: seconds, maxReps: 400, minReps: 15, warmup: 5, sysRoot: '/sys' as const };
const rec = await runCalibration({ ...common, formats: ['fp32', 'fake', 'qdq-int8', 'int4'], bits: [2, 4, 8, 16], onNote: (m) => console.error(`note: ${m}`) });
report('PP-OCRv4 rec, x[1,3,48,320]', rec.profile);
console.log('\nnotes:');
for (const n of rec.profile.measured.notes) console.log(`- ${n}`);

const dir = mkdtempSync(join(tmpdir(), 'coquant-bench-cal-'));
try {
  const fc = join(dir, 'fc.onnx');
  await writeFcModel(fc, { widths: [1024, 4096, 4096, 1024], seed: 1, style: 'matmul' });
  const r = await runCalibration({ ...common, modelPath: fc, formats: ['fp32', 'qdq-int8', 'int4'], bits: [2, 4, 8], dims: new Map([['x:0', 8]]) });
  report('FC 1024-4096-4096-1024 (MatMul only), x[8,1024]', r.profile);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
