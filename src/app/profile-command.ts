/** `coquant profile` minus option parsing: profile the model, then print JSON or write profile.json, plots and a table. */
import { nonFiniteReplacer } from '../documents/json-numbers.ts';
import { serializeProfile } from '../documents/profile-document.ts';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { bundledModels } from '../io/index.ts';
import { SYNTHETIC_NOTE } from '../io/synthetic-marker.ts';
import { configLabel, parseBits } from '../quant/index.ts';
import { renderVegaLiteSvg } from '../report/render-svg.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { progressBar } from '../util/progress.ts';
import { profileModel, resolveOptions, specsFromFlags } from '../profile/index.ts';
import { distortionSpec, magnitudeHistogramSpec } from '../profile/plots.ts';
import { renderTable } from '../profile/profile-table.ts';

/** The flags of `coquant profile`, as commander hands them over. */
export interface ProfileCliOptions {
  json?: boolean;
  out: string;
  families?: string[];
  bits: string;
  granularity?: string[];
  range?: string[];
  quant?: string[];
  allFloat?: boolean;
  threads: string;
  quiet?: boolean;
}

function resolveModel(m: string): string {
  if (!existsSync(m)) {
    const b = bundledModels() as unknown as Record<string, string>;
    if (m in b && m !== 'dict') return b[m];
  }
  return resolve(m);
}

export async function runProfileCli(model: string, o: ProfileCliOptions): Promise<void> {
  const threads = Number(o.threads);
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new UsageError(`--threads must be an integer in 1..64, got '${o.threads}'`);
  const opts = resolveOptions({
    specs: specsFromFlags({ families: o.families, granularity: o.granularity, range: o.range, quant: o.quant }),
    bits: parseBits(o.bits),
    allFloat: !!o.allFloat,
    threads,
  });
  const path = resolveModel(model);
  let bar: ReturnType<typeof progressBar> | undefined;
  let shown = 0;
  const doc = await profileModel(path, opts, {
    onProgress: (done, total, label) => {
      bar ??= progressBar(total, 'profile', { quiet: o.quiet || total < 1e6 });
      bar.tick(done - shown, label);
      shown = done;
    },
  });
  bar?.stop();
  if (o.json) {
    process.stdout.write(`${JSON.stringify(doc, nonFiniteReplacer)}\n`);
    return;
  }
  const outDir = resolve(o.out);
  await writeFileAtomic(join(outDir, 'profile.json'), serializeProfile(doc));
  await writeFileAtomic(join(outDir, 'magnitudes.svg'), await renderVegaLiteSvg(magnitudeHistogramSpec(doc)));
  await writeFileAtomic(join(outDir, 'distortion.svg'), await renderVegaLiteSvg(distortionSpec(doc)));
  if (doc.model.weights === 'synthetic') process.stdout.write(`${SYNTHETIC_NOTE}\n`);
  process.stdout.write(`${renderTable(doc)}\n\nquantizers: ${opts.specs.map((s) => configLabel(s)).join(', ')}\n`);
  process.stdout.write(`wrote ${join(outDir, 'profile.json')}, magnitudes.svg, distortion.svg\n`);
}
