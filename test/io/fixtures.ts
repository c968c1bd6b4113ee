/** Builders for ONNX and safetensors fixtures, written by the tests themselves. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';

export const { onnx } = onnxProto;
export type ITensorProto = onnxProto.onnx.ITensorProto;

export async function tempDir(prefix = 'coquant-io-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * A temporary folder for the enclosing describe block: made before its tests, removed after.
 * Read `dir` inside tests (it is set once the block starts).
 */
export function suiteTempDir(prefix?: string): { readonly dir: string } {
  const box = { dir: '' };
  let cleanup: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const t = await tempDir(prefix);
    box.dir = t.dir;
    cleanup = t.cleanup;
  });
  afterAll(async () => cleanup?.());
  return box;
}

/** A model at IR 8 importing the default domain at `opset`, around the given graph. */
export function modelOf(opset: number, graph: onnxProto.onnx.IGraphProto): onnxProto.onnx.ModelProto {
  return onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: opset }], graph });
}

/**
 * A model whose graph outputs are Identity copies of the given tensors (initializers, or
 * Constant nodes when `asConstant`), so onnxruntime reports exactly what it decoded from them.
 */
export function identityModel(tensors: ITensorProto[], opts: { asConstant?: boolean } = {}): onnxProto.onnx.ModelProto {
  const nodes: onnxProto.onnx.INodeProto[] = [];
  const outputs: onnxProto.onnx.IValueInfoProto[] = [];
  for (const [i, t] of tensors.entries()) {
    const name = t.name as string;
    if (opts.asConstant) nodes.push({ opType: 'Constant', name: `const_${i}`, output: [name], attribute: [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: { ...t } }] });
    // onnxruntime-node cannot return bfloat16 tensors, so those go out through an exact Cast to float32.
    const bf16 = t.dataType === onnx.TensorProto.DataType.BFLOAT16;
    if (bf16) nodes.push({ opType: 'Cast', input: [name], output: [`out_${i}`], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: onnx.TensorProto.DataType.FLOAT }] });
    else nodes.push({ opType: 'Identity', input: [name], output: [`out_${i}`] });
    outputs.push({ name: `out_${i}`, type: { tensorType: { elemType: bf16 ? onnx.TensorProto.DataType.FLOAT : t.dataType, shape: { dim: (t.dims ?? []).map((d) => ({ dimValue: d })) } } } });
  }
  return modelOf(17, { name: 'fixture', initializer: opts.asConstant ? [] : tensors, node: nodes, output: outputs });
}

export function encodeModel(m: onnxProto.onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(m).finish();
}

export async function writeModel(path: string, m: onnxProto.onnx.IModelProto): Promise<void> {
  await writeFile(path, encodeModel(m));
}

/** A raw safetensors file from a header object and a data section, with no validation at all. */
export function rawSafetensors(header: unknown, data: Uint8Array = new Uint8Array(0), headerLen?: bigint): Uint8Array {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLen ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}
