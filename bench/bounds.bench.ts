/**
 * `coquant bounds` from a profile JSON of a billion-parameter checkpoint must take < 1 s.
 * Synthetic profile: 1000 groups (1.0e9 parameters), 6 quantizer configs × 15 bit-widths at
 * model scope and per group (90 090 distortion entries, like a real profile). Baseline: reading
 * and JSON-parsing the same file, measured in the same run.
 *
 * Also the Blahut–Arimoto pieces: the one-off reference curve every report scales (timed cold,
 * in this fresh process, before anything else touches it), and D_BA at R = 1..7 at the test
 * resolution (32) and the docs-table resolution (256). Baseline for those: one O(N) pass over the
 * same grid (a sum of N exponentials), so the ratio says how many grid passes a solve costs.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runBounds } from '../src/app/bounds-command.ts';
import { baAtRate, baReferenceCurve } from '../src/theory/blahut-arimoto.ts';
import { mulberry32 } from '../src/util/rng.ts';

{
  const t0 = performance.now();
  const ref = baReferenceCurve();
  console.log(`BA reference curve (${ref.rows.length} rates, resolution ${ref.resolution}), cold: ${(performance.now() - t0).toFixed(1)} ms`);
}

const dir = join('.cache', 'bench');
await mkdir(dir, { recursive: true });
const path = join(dir, 'profile-1000-groups.json');
const rand = mulberry32(42);
const groups = Array.from({ length: 1000 }, (_, i) => {
  const meanAbs = 0.005 + 0.05 * rand();
  return { name: `layers.${i}.weight`, shape: [1000, 1000], dtype: 'float16', params: 1_000_000, meanAbs, maxAbs: 20 * meanAbs, std: 1.4 * meanAbs, lambda: 1 / meanAbs, ks: 0.02 + 0.1 * rand() };
});
const specs = ['uniform-symmetric', 'uniform-asymmetric', 'pot'].flatMap((family) => [
  { family, granularity: 'tensor', range: 'absmax', k: 3 },
  { family, granularity: 'channel', range: 'clip-l1', k: 1.2 },
]);
const distortion = [];
for (const scope of ['model', ...groups.map((g) => g.name)]) {
  for (const s of specs) {
    for (let bits = 2; bits <= 16; bits++) {
      const l1 = s.k * 2 ** (1 - bits) * 0.03;
      distortion.push({ scope, family: s.family, granularity: s.granularity, range: s.range, bits, l1, mse: l1 * l1, relL1: l1 / 0.03 });
    }
  }
}
const doc = {
  schema: 'coquant.profile/1',
  model: { path: 'synthetic-1b', format: 'safetensors', selection: 'weights' },
  totals: { params: 1e9, groups: 1000, meanAbs: 0.03, maxAbs: 1, std: 0.04, lambda: 33, ks: 0.05 },
  groups,
  distortion,
};
await writeFile(path, JSON.stringify(doc));

async function time(label: string, fn: () => Promise<unknown>, reps = 5): Promise<number> {
  await fn(); // warm-up
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  const med = t[Math.floor(reps / 2)];
  console.log(`${label.padEnd(44)} median ${med.toFixed(1)} ms (min ${t[0].toFixed(1)}, max ${t[reps - 1].toFixed(1)})`);
  return med;
}

const base = await time('baseline: read + JSON.parse profile', async () => JSON.parse(await readFile(path, 'utf8')));
const noPlot = await time('bounds, JSON written, no plot', () => runBounds(path, { out: join(dir, 'bounds-out'), plot: false, quiet: true }));
const full = await time('bounds, JSON + Fig. 4 SVG', () => runBounds(path, { out: join(dir, 'bounds-out'), quiet: true }));
console.log(`ratio to baseline: no plot ${(noPlot / base).toFixed(2)}×, with plot ${(full / base).toFixed(2)}×`);
console.log(`requirement < 1000 ms: ${full < 1000 ? 'met' : 'NOT met'} (${full.toFixed(0)} ms with plot)`);

for (const resolution of [32, 256]) {
  for (const R of [1, 4, 7]) {
    const cells = baAtRate(R, { resolution }).point.grid.cells;
    const pass = await time(`  baseline: one pass over ${cells} cells`, async () => {
      let acc = 0;
      for (let i = 0; i < cells; i++) acc += Math.exp(-i * 1e-6);
      return acc;
    }, 3);
    const t = await time(`D_BA at R = ${R}, resolution ${resolution}`, async () => baAtRate(R, { resolution }), 3);
    console.log(`  ${(t / pass).toFixed(0)} grid passes per rate (${baAtRate(R, { resolution }).solves} BA solves)`);
  }
}
