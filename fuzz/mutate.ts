/**
 * Mutations of the bundled real models for the fuzz corpus: truncation at a random length,
 * flipped bytes, and hostile sizes written into a decoded model (a huge dimension, a raw_data
 * length that disagrees with the dims, an external-data reference past the end of the file or
 * outside the folder, a negative dimension). Each mutant is deterministic in (model, n, seed).
 */
import onnxProto from 'onnx-proto';
import type { Gen } from './ops.ts';

const { onnx } = onnxProto;

export type MutationKind = 'truncate' | 'flip' | 'huge-dim' | 'raw-length' | 'external-range' | 'external-escape' | 'negative-dim';
export const MUTATIONS: readonly MutationKind[] = ['truncate', 'flip', 'huge-dim', 'raw-length', 'external-range', 'external-escape', 'negative-dim'];

function withTensor(bytes: Uint8Array, g: Gen, edit: (t: onnxProto.onnx.ITensorProto) => void): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  const tensors: onnxProto.onnx.ITensorProto[] = [...(m.graph?.initializer ?? [])];
  for (const n of m.graph?.node ?? []) for (const a of n.attribute ?? []) if (a.t) tensors.push(a.t);
  if (tensors.length === 0) return bytes.subarray(0, Math.floor(bytes.length / 2));
  edit(g.pick(tensors));
  return onnx.ModelProto.encode(m).finish();
}

export function mutate(bytes: Uint8Array, kind: MutationKind, g: Gen): Uint8Array {
  switch (kind) {
    case 'truncate':
      return bytes.slice(0, g.int(0, bytes.length - 1));
    case 'flip': {
      const b = Uint8Array.from(bytes);
      const n = g.int(1, 8);
      for (let i = 0; i < n; i++) b[g.int(0, b.length - 1)] ^= 1 << g.int(0, 7);
      return b;
    }
    case 'huge-dim':
      return withTensor(bytes, g, (t) => {
        t.dims = [...(t.dims ?? [1])];
        t.dims[0] = g.pick([2 ** 31, 2 ** 40, 2 ** 53 - 1]);
      });
    case 'negative-dim':
      return withTensor(bytes, g, (t) => {
        t.dims = [...(t.dims ?? [1])];
        t.dims[0] = -g.int(1, 5);
      });
    case 'raw-length':
      return withTensor(bytes, g, (t) => {
        const raw = t.rawData && t.rawData.length > 0 ? t.rawData : new Uint8Array(16);
        t.rawData = raw.subarray(0, Math.max(0, raw.length - g.int(1, 4)));
        t.floatData = [];
      });
    case 'external-range':
      return withTensor(bytes, g, (t) => {
        t.rawData = new Uint8Array(0);
        t.floatData = [];
        t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
        t.externalData = [{ key: 'location', value: 'weights.bin' }, { key: 'offset', value: String(g.pick([0, 2 ** 40])) }, { key: 'length', value: String(g.pick([4, 2 ** 33])) }];
      });
    case 'external-escape':
      return withTensor(bytes, g, (t) => {
        t.rawData = new Uint8Array(0);
        t.floatData = [];
        t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
        t.externalData = [{ key: 'location', value: g.pick(['../../../etc/passwd', '/etc/passwd', 'sub/../../x.bin']) }];
      });
  }
}
