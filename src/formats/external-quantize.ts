/**
 * `quantize --format int4 | qdq-int8` (and mixed executable plans) for models that keep their
 * weights in ONNX external data, as every model over 2 GiB must.
 *
 * The graph proto stays small: external tensors keep an absolute location in memory
 * (io/external-data.ts), the writers read each fp32 weight from its file only when they rewrite
 * it (tensorToFloat32), so at most one fp32 weight is in memory at a time besides the low-bit
 * results, and the written model streams every tensor of 1 KiB or more to `<out>.data`. The
 * canonical float graph comes from onnxruntime's basic pass as for in-memory models, written with
 * its own data file to a temporary folder (loadForFormats). Distortion and the kernel census run
 * onnxruntime on the written files by path.
 */
import { buildFormatReport } from '../documents/format-report-document.ts';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { absolutizeExternalData, externalRef, graphTensors, isExternal, writeModelExternal } from '../io/external-data.ts';
import { isSyntheticModel } from '../io/synthetic-marker.ts';
import { createSession, releaseSession } from '../ort/session.ts';
import { formatDistortion, runnerFor, type Runner } from './compare-outputs.ts';
import { FormatError } from './errors.ts';
import { fakeQuantizeModel, type FakeScheme } from './fake.ts';
import { censusOf, warnCensus, type IntegerCensus } from './inspect.ts';
import { writeIntegerFormat } from './write-integer-format.ts';
import { constantsToInitializers, decodeModel, onnx, type ModelProto, type TensorProto } from './onnx-graph.ts';
import { pruneOpsetImports } from './preoptimize.ts';
import type { FormatReport, QuantizeToFormatOptions, QuantizeToFormatResult } from './index.ts';

/** A model file's bytes plus the external data files it references. */
export async function modelFootprint(path: string): Promise<number> {
  const m = decodeModel(await readFile(path), path);
  await absolutizeExternalData(m, dirname(resolve(path)));
  const files = new Set(graphTensors(m).filter(isExternal).map((t) => externalRef(t).location));
  let n = (await stat(path)).size;
  for (const f of files) n += (await stat(f)).size;
  return n;
}

/**
 * The canonical float graph of a model with external data, as preoptimize.ts makes it for
 * in-memory models (onnxruntime's basic optimisations: constant folding, MatMul + Add → Gemm,
 * Constant nodes → initializers), but with onnxruntime writing the optimised weights to its own
 * data file in `workDir`, so the protobuf limit never applies. The caller removes `workDir` once
 * the quantized model is written.
 */
export async function loadForFormats(path: string, workDir: string): Promise<ModelProto> {
  const out = join(workDir, 'preoptimized.onnx');
  const s = await createSession(resolve(path), { optimization: 'basic', optimizedModelPath: out, optimizedExternalData: true, intraOpThreads: 1, label: path });
  await releaseSession(s);
  const m = decodeModel(await readFile(out), `${path} (optimized by onnxruntime)`);
  await absolutizeExternalData(m, workDir);
  constantsToInitializers(m.graph!);
  pruneOpsetImports(m);
  return m;
}

/** The graph onnxruntime's CPU provider executes for a model file (all optimisations); its weights go to a temporary data file, so any size works. */
export async function executedGraphOfFile(path: string): Promise<ModelProto> {
  const dir = await mkdtemp(join(tmpdir(), 'coquant-executed-'));
  const out = join(dir, 'optimized.onnx');
  try {
    const s = await createSession(path, { optimization: 'all', optimizedModelPath: out, optimizedExternalData: true, intraOpThreads: 1, label: path });
    await releaseSession(s);
    return decodeModel(await readFile(out), `${path} (optimized by onnxruntime)`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Executed-graph census of a model file with external data. */
export async function censusOfFile(path: string): Promise<IntegerCensus> {
  return censusOf(await executedGraphOfFile(path));
}

/**
 * The fake-quantized simulation of `model`, written with its own data file one weight at a time:
 * each initializer is fake-quantized on its own (a view of the graph holding only that
 * initializer), so only one fp32 weight and its simulated copy are in memory at once.
 */
export async function writeFakeExternal(model: ModelProto, scheme: FakeScheme, path: string): Promise<{ modelPath: string }> {
  const g = model.graph!;
  const replace = (t: TensorProto): Uint8Array | undefined => {
    if (!(g.initializer ?? []).includes(t)) return undefined;
    const view = onnx.ModelProto.create({ ...model, graph: onnx.GraphProto.create({ ...g, initializer: [t] }) });
    const r = fakeQuantizeModel(view, scheme);
    return r.tensors.length ? (r.model.graph!.initializer![0].rawData ?? undefined) : undefined;
  };
  return writeModelExternal(model, path, { replace });
}

/** Runs `path` on every feed once, releases it, and replays the recorded outputs: a Runner that holds no session. */
async function recordedRunner(path: string, feeds: readonly Parameters<Runner>[0][]): Promise<Runner> {
  const r = await runnerFor(path);
  const out = new Map<Parameters<Runner>[0], Float32Array[]>();
  try {
    for (const f of feeds) out.set(f, await r.run(f));
  } finally {
    await r.release();
  }
  return async (f) => out.get(f)!;
}

export interface ExternalQuantizeParams {
  bits: number;
  blockSize?: number;
  outPath: string;
  source: string;
  warn: (m: string) => void;
  /** The list `warn` appends to; it becomes the report's warnings. */
  warnings: string[];
  progress: (m: string) => void;
}

/** int4 / qdq-int8 of an external-data model; writes `outPath` + `outPath.data` and reports on the files. */
export async function quantizeExternalModel(opts: QuantizeToFormatOptions, p: ExternalQuantizeParams): Promise<QuantizeToFormatResult> {
  const work = await mkdtemp(join(tmpdir(), 'coquant-pre-'));
  try {
    p.progress('canonicalising the float graph (onnxruntime basic optimisations, weights to a temporary data file)');
    return await quantizeLoaded(opts, await loadForFormats(opts.modelPath!, work), p);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function quantizeLoaded(opts: QuantizeToFormatOptions, model: ModelProto, p: ExternalQuantizeParams): Promise<QuantizeToFormatResult> {
  const { warn, progress } = p;
  if (opts.format !== 'int4' && opts.format !== 'qdq-int8') {
    throw new FormatError('E_EXTERNAL_DATA', `--format ${opts.format} is not written for models with external data`, 'use --format int4 or --format qdq-int8 (real low-bit files), or coquant distortion for simulated bits');
  }
  const w = await writeIntegerFormat(model, { ...opts, format: opts.format }, { bits: p.bits, blockSize: p.blockSize }, { warn, progress });
  const { stored, ranges } = w;
  const out = w.model;
  progress(`writing ${p.outPath} and its data file`);
  const written = await writeModelExternal(out, p.outPath);
  const bytes = await readFile(written.modelPath);

  let census: IntegerCensus | undefined;
  if (!opts.skipCensus) {
    progress('inspecting the graph onnxruntime executes');
    census = await censusOfFile(written.modelPath);
    warnCensus(census, opts.format, warn);
  }
  let distortion: FormatReport['distortion'];
  const evalFeeds = opts.evaluation ?? opts.calibration;
  if (evalFeeds && evalFeeds.length > 0 && opts.modelPath) {
    progress(`measuring output distortion on ${evalFeeds.length} input(s)`);
    // The simulation at the same bits, written with its own data file to a temporary folder.
    const tmp = await mkdtemp(join(tmpdir(), 'coquant-fake-'));
    const fake = await writeFakeExternal(model, w.fakeScheme, join(tmp, 'fake.onnx'));
    // One model in onnxruntime at a time (the fp32 and the fake model are each full size): outputs are recorded, then compared.
    try {
      const rf = await recordedRunner(resolve(opts.modelPath), evalFeeds);
      const rq = await recordedRunner(written.modelPath, evalFeeds);
      const rk = await recordedRunner(fake.modelPath, evalFeeds);
      distortion = await formatDistortion(rf, rq, rk, evalFeeds);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
  const fp32Bytes = await modelFootprint(resolve(p.source));
  const report = buildFormatReport({
    synthetic: isSyntheticModel(model),
    format: opts.format,
    bits: p.bits,
    blockSize: opts.format === 'int4' ? p.blockSize : undefined,
    source: p.source,
    sourceBytes: fp32Bytes,
    writtenBytes: written.modelBytes + written.dataBytes,
    stored,
    census,
    distortion,
    external: { model: written.modelPath, data: written.dataPath ?? null, tensors: written.externalTensors },
    warnings: p.warnings,
  });
  return { bytes, report, ranges, written: { modelPath: written.modelPath, dataPath: written.dataPath } };
}
