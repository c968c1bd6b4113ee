/**
 * Canonicalises a float model before any format rewrite by letting onnxruntime apply its
 * provider-independent ("basic") graph optimisations: constant folding, Constant nodes turned
 * into initializers, BatchNormalization folded into the preceding Conv, redundant nodes
 * removed. Quantizing that graph matters for speed: a BatchNormalization between a quantized
 * Conv and its QuantizeLinear would stop onnxruntime fusing the pair into QLinearConv.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError } from './errors.ts';
import { CoquantError } from '../errors.ts';
import { createSession } from '../ort/session.ts';
import { constantsToInitializers, decodeModel, encodeModel, type ModelProto } from './onnx-graph.ts';
import { widenFloat16 } from './fp16-widen.ts';

/** Keeps only the opset imports whose domain some node uses (plus the default domain). */
export function pruneOpsetImports(m: ModelProto): void {
  const used = new Set<string>(['']);
  for (const n of m.graph?.node ?? []) used.add(n.domain ?? '');
  m.opsetImport = (m.opsetImport ?? []).filter((o) => used.has(o.domain ?? '') || (o.domain === 'ai.onnx' && used.has('')));
}

export type OptimizationLevel = 'basic' | 'extended' | 'all';

/**
 * Runs onnxruntime's optimiser on `bytes` and returns the optimised graph it writes out.
 * `basic` output is portable across execution providers; `all` is what the CPU provider really
 * executes (used by inspect.ts to see which kernels run).
 */
export async function ortOptimizedModel(bytes: Uint8Array, level: OptimizationLevel, where = 'model'): Promise<ModelProto> {
  const dir = await mkdtemp(join(tmpdir(), 'coquant-opt-'));
  const out = join(dir, 'optimized.onnx');
  try {
    const session = await createSession(bytes, { optimization: level, optimizedModelPath: out, intraOpThreads: 1, label: where });
    await session.release();
    return decodeModel(await readFile(out), `${where} (optimized by onnxruntime)`);
  } catch (e) {
    if (e instanceof CoquantError) throw e;
    throw new FormatError('E_ORT_LOAD', `${where}: cannot read the model onnxruntime optimised: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The canonical float graph every format writer starts from. */
export async function preoptimize(bytes: Uint8Array, where = 'model'): Promise<ModelProto> {
  // An fp16 graph with float32 inputs is widened first (same values), so the writers see float32.
  const src = decodeModel(bytes, where);
  const widened = widenFloat16(src);
  const m = await ortOptimizedModel(widened.tensors + widened.casts + widened.interfaceCasts > 0 ? encodeModel(src) : bytes, 'basic', where);
  constantsToInitializers(m.graph!);
  pruneOpsetImports(m);
  return m;
}
