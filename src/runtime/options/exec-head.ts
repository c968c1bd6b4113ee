/**
 * Writes and checks the program a plan runs: the head of the planned cut, canonicalised, with
 * each group in its planned format, and the census of what onnxruntime then executes for each
 * group. A group planned as integer that runs a float kernel is a warning, never silent.
 */
import { FormatError } from '../../formats/errors.ts';
import { isIntegerOp } from '../../formats/inspect.ts';
import { weightGroupsOf, writeMixedFormat, type ExecFormat } from '../../formats/mixed-format.ts';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { executedGraphOfFile, loadForFormats } from '../../formats/external-quantize.ts';
import { decodeModel, encodeModel, type ModelProto } from '../../formats/onnx-graph.ts';
import { hasExternalData, writeModelExternal } from '../../io/external-data.ts';
import { ortOptimizedModel, preoptimize } from '../../formats/preoptimize.ts';
import type { TensorRange } from '../../formats/calibrate-ranges.ts';
import type { Feed } from '../../data/tensor.ts';
import { originByName } from './kernel-trace.ts';

export interface GroupKernel {
  group: string;
  planned: string;
  /** Kernel onnxruntime runs for the group's compute node. */
  kernel: string;
  integer: boolean;
  ok: boolean;
}

export interface ExecHead {
  /** The written graph; for a head with external data, the small graph already written to `written.modelPath`. */
  bytes: Uint8Array;
  written?: { modelPath: string; dataPath?: string };
  applied: Record<string, ExecFormat>;
  kernels: GroupKernel[];
  warnings: string[];
}

/** Which kernel runs each group's compute node in the executed graph of `bytes` (or of the written file `{ path }`). */
export async function groupKernels(pre: ModelProto, bytes: Uint8Array | { path: string }, planned: Readonly<Record<string, string>>): Promise<GroupKernel[]> {
  const executed = bytes instanceof Uint8Array ? await ortOptimizedModel(bytes, 'all', 'planned head') : await executedGraphOfFile(bytes.path);
  const nodes = new Set((pre.graph?.node ?? []).map((n) => n.name ?? ''));
  const producer = new Map<string, string>();
  for (const n of pre.graph?.node ?? []) for (const o of n.output ?? []) producer.set(o, n.name ?? '');
  const kernelOf = new Map<string, string>();
  for (const n of executed.graph?.node ?? []) {
    const op = n.opType ?? '';
    if (['QuantizeLinear', 'DequantizeLinear', 'ReorderInput', 'ReorderOutput', 'Transpose'].includes(op)) continue;
    const o = originByName(n.name ?? '', { nodes, producer });
    if (o && (!kernelOf.has(o) || isIntegerOp(op) || /Conv|MatMul|Gemm/.test(op))) kernelOf.set(o, op);
  }
  return weightGroupsOf(pre).map((g) => {
    const want = planned[g.name] ?? 'fp32';
    const kernel = kernelOf.get(g.node) ?? '(fused away)';
    const integer = isIntegerOp(kernel);
    return { group: g.name, planned: want, kernel, integer, ok: want === 'fp32' ? !integer : integer };
  });
}

/** The head model bytes with the planned formats, and the per-group kernel census. */
export async function writeExecHead(
  headBytes: Uint8Array,
  formats: Readonly<Record<string, string>>,
  o: {
    calibration?: readonly Feed[];
    ranges?: ReadonlyMap<string, TensorRange>;
    where?: string;
    /** A head with external data: the file it was read from (its data resolves there) and the file to write (with `<out>.data`). */
    external?: { headPath: string; outPath: string };
  } = {},
): Promise<ExecHead> {
  const ext = o.external && hasExternalData(decodeModel(headBytes, o.where ?? 'head')) ? o.external : undefined;
  if (ext) {
    const work = await mkdtemp(join(tmpdir(), 'coquant-pre-'));
    try {
      return await writeHead(await loadForFormats(ext.headPath, work), formats, o, ext.outPath);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
  return writeHead(await preoptimize(headBytes, o.where ?? 'head'), formats, o);
}

async function writeHead(pre: ModelProto, formats: Readonly<Record<string, string>>, o: { calibration?: readonly Feed[]; ranges?: ReadonlyMap<string, TensorRange> }, outPath?: string): Promise<ExecHead> {
  const present = new Set(weightGroupsOf(pre).map((g) => g.name));
  const assignment: Record<string, ExecFormat> = {};
  for (const [g, f] of Object.entries(formats)) {
    if (!present.has(g)) continue; // groups on the server side of this cut
    if (!['fp32', 'qdq-int8', 'nbits4', 'nbits8'].includes(f)) throw new FormatError('E_FORMAT', `group '${g}': '${f}' is not a format onnxruntime executes`, 'simulation plans cannot be written as a real model; plan with executable options');
    assignment[g] = f as ExecFormat;
  }
  const r = await writeMixedFormat(pre, assignment, { calibration: o.calibration, ranges: o.ranges });
  const written = outPath ? await writeModelExternal(r.model, outPath) : undefined;
  const bytes = written ? await readFile(written.modelPath) : encodeModel(r.model);
  const kernels = await groupKernels(pre, written ? { path: written.modelPath } : bytes, r.applied);
  const warnings: string[] = [];
  for (const w of r.leftFloat) warnings.push(`group '${w.tensor}' stays fp32: ${w.reason}`);
  for (const k of kernels) if (!k.ok) warnings.push(`group '${k.group}' is planned as ${k.planned} but onnxruntime runs ${k.kernel} for it`);
  return { bytes, applied: r.applied, kernels, warnings, ...(written ? { written: { modelPath: written.modelPath, dataPath: written.dataPath } } : {}) };
}
