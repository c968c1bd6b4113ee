/**
 * `coquant quantize --format qdq-int8|int4`: real low-bit files through the formats engine,
 * calibrated on the inputs of the model's task (rendered text lines for PP-OCR recognition,
 * seeded random inputs for a model no task recognises),
 * written atomically, with a report of what really runs in integer form.
 */
import { basename, extname, join } from 'node:path';
import { UsageError } from '../errors.ts';
import { parseDimFlags } from '../data/random-inputs.ts';
import { readSignature, toOrtFeed } from '../ort/session.ts';
import { taskFor } from '../tasks/registry.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { FORMATS, quantizeToFormat, type FormatName } from './index.ts';


export async function quantizeFormatCli(model: string, o: { format: string; bits?: string; blockSize: string; calib: string; dim: string[]; out?: string; json?: boolean }): Promise<void> {
  if (!FORMATS.includes(o.format as FormatName)) throw new UsageError(`unknown --format '${o.format}'`, `use one of ${FORMATS.join(', ')}`);
  const format = o.format as FormatName;
  const n = Number(o.calib);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--calib must be a positive integer (got '${o.calib}')`);
  const signature = await readSignature(model, model);
  const task = taskFor(signature);
  const dims = parseDimFlags(o.dim);
  const calib = await task.makeInputs(signature, { count: n, seed: 11, dims });
  const evalSet = await task.makeInputs(signature, { count: task.id === 'generic' ? 4 : 8, seed: 12, dims });
  const log = (m: string) => {
    if (!o.json) process.stderr.write(`${m}\n`);
  };
  const { bytes, report } = await quantizeToFormat({
    modelPath: model,
    format,
    bits: o.bits === undefined ? undefined : Number(o.bits),
    blockSize: Number(o.blockSize),
    calibration: calib.feeds.map(toOrtFeed),
    evaluation: evalSet.feeds.map(toOrtFeed),
    onWarning: (m) => log(`warning: ${m}`),
    onProgress: log,
  });
  const out = o.out ?? join('out', `${basename(model, extname(model))}.${format}.onnx`);
  await writeFileAtomic(out, bytes);
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ out, ...report }, null, 2)}\n`);
    return;
  }
  const mib = (b: number) => `${(b / (1 << 20)).toFixed(2)} MiB`;
  const lines = [
    `wrote ${out} (${format}${report.format === 'int4' ? `, ${report.bits} bits, block ${report.blockSize}` : ''})`,
    `  file ${mib(report.sizes.bytes)} vs ${mib(report.sizes.fp32Bytes)} fp32 (${report.sizes.ratio.toFixed(2)}× smaller); covered weights ${report.covered.tensors} tensors, ${report.covered.ratio.toFixed(2)}× smaller`,
  ];
  if (report.census) lines.push(`  integer kernels onnxruntime actually runs: ${JSON.stringify(report.census)}`);
  if (report.distortion) {
    const d = report.distortion;
    lines.push(`  output distortion vs fp32: ${JSON.stringify(d.vsFp32)}`);
    lines.push(`  fake quantization predicted: ${JSON.stringify(d.fakeVsFp32)}`);
  }
  if (report.leftFloat.length) lines.push(`  left in float: ${report.leftFloat.length} weights (${report.leftFloat.slice(0, 4).map((w) => `${w.tensor}: ${w.reason}`).join('; ')}${report.leftFloat.length > 4 ? '; …' : ''})`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
