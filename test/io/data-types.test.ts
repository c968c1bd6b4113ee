import { describe, expect, it } from 'vitest';
import onnxProto from 'onnx-proto';
import { DATA_TYPES, dataType, dataTypeOfKserve, dataTypeOfOnnx, dataTypeOfOrt } from '../../src/io/data-types.ts';
import { decodeInto } from '../../src/io/decode.ts';
import { DTYPE_BYTES } from '../../src/io/types.ts';
import { ELEMENT_BYTES, fromOrtType, toOrtType, typedArrayCtor, DATATYPES } from '../../src/runtime/protocol/datatypes.ts';

const DT = onnxProto.onnx.TensorProto.DataType as unknown as Record<string, number>;

describe('the data-type table', () => {
  // Invariant: every row's ONNX code is the code onnx-proto's own enum gives that type.
  it('ONNX codes agree with onnx-proto, and lookups by every key return the same row', () => {
    const onnxName: Record<string, string> = { float32: 'FLOAT', float64: 'DOUBLE' };
    for (const r of DATA_TYPES) {
      expect(r.onnx).toBe(DT[onnxName[r.name] ?? r.name.toUpperCase()]);
      expect(dataType(r.name)).toBe(r);
      expect(dataTypeOfOnnx(r.onnx)).toBe(r);
      if ('ort' in r) expect(dataTypeOfOrt(r.ort)).toBe(r);
      if ('kserve' in r) expect(dataTypeOfKserve(r.kserve)).toBe(r);
      if ('array' in r) expect(r.array.BYTES_PER_ELEMENT).toBe(r.bytes);
    }
  });

  it('the derived tables (weights, protocol) agree with the rows', () => {
    for (const d of DATATYPES) {
      if (d === 'BYTES') continue;
      expect(ELEMENT_BYTES[d]).toBe(dataTypeOfKserve(d)!.bytes);
      expect(typedArrayCtor(d).BYTES_PER_ELEMENT).toBe(ELEMENT_BYTES[d]);
      const ort = toOrtType(d);
      if (ort) expect(fromOrtType(ort)).toBe(d);
    }
    for (const [k, v] of Object.entries(DTYPE_BYTES)) expect(v).toBe(dataType(k)!.bytes);
  });
});

describe('decodeInto', () => {
  // Regression: a misaligned Node Buffer (protobuf bytes fields are Buffers) must be copied, not re-viewed.
  it('reads a misaligned Buffer view correctly', () => {
    const vals = Float32Array.from([1.5, -2, 3.25]);
    const pool = Buffer.alloc(64);
    Buffer.from(vals.buffer).copy(pool, 5);
    const view = pool.subarray(5, 5 + 12);
    const out = new Float32Array(3);
    decodeInto('float32', view, out);
    expect([...out]).toEqual([...vals]);
  });
});
