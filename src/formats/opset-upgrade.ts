/**
 * Raises the default-domain opset of a model to 13, the first opset where QuantizeLinear and
 * DequantizeLinear take an `axis` (per-channel scales). Operators whose signature changed on the
 * way are rewritten to the exact equivalent form; operators whose semantics changed and that we
 * cannot rewrite make the upgrade refuse (with the list), rather than silently change results.
 *
 * Changes handled between opsets 7 and 13 (from the ONNX operator changelog):
 *  - Clip 11: `min`/`max` attributes became optional inputs.
 *  - Slice 10: `starts`/`ends`/`axes` attributes became inputs (plus optional `steps`).
 *  - Squeeze/Unsqueeze 13, ReduceSum 13, Split 13: `axes`/`split` attributes became inputs.
 *  - Pad 11: `pads`/`value` attributes became inputs.
 *  - TopK 10: `k` attribute became an input.
 *  - Dropout 12: `ratio` became an input (inference behaviour unchanged, so the attribute is dropped).
 *  - Softmax/LogSoftmax/Hardmax 13: before 13 the input was coerced to 2-D at `axis` and normalised
 *    over all trailing dimensions; from 13 only over `axis`. Equal when `axis` is the last axis;
 *    otherwise rewritten as Flatten → op(axis=1) → Reshape(Shape(x)), which is exact.
 * Upsample (deprecated in 10) and Resize from opset 10 (different inputs and defaults) are refused.
 */
import type { UpgradeResult } from '../documents/format-report-document.ts';
import { FormatError } from './errors.ts';
import {
  DT,
  GraphEditor,
  attrInt,
  attrIntValue,
  attrIntsValue,
  getAttr,
  makeNode,
  makeTensor,
  opsetOf,
  setOpset,
  topoSort,
  type ModelProto,
  type NodeProto,
} from './onnx-graph.ts';

export const QDQ_OPSET = 13;

/** Operators whose inference semantics do not change between opsets 7 and 13 (types only widen). */
const UNCHANGED = new Set([
  'Abs', 'Add', 'And', 'ArgMax', 'ArgMin', 'AveragePool', 'BatchNormalization', 'Cast', 'Ceil', 'Concat', 'Constant',
  'ConstantOfShape', 'Conv', 'ConvTranspose', 'Cos', 'CumSum', 'DepthToSpace', 'DequantizeLinear', 'Div', 'Einsum', 'Elu',
  'Equal', 'Erf', 'Exp', 'Expand', 'Flatten', 'Floor', 'Gather', 'GatherElements', 'GatherND', 'Gemm', 'GlobalAveragePool',
  'GlobalMaxPool', 'Greater', 'GreaterOrEqual', 'HardSigmoid', 'Identity', 'InstanceNormalization', 'LeakyRelu', 'Less',
  'LessOrEqual', 'Log', 'LRN', 'MatMul', 'Max', 'MaxPool', 'Mean', 'Min', 'Mod', 'Mul', 'Neg', 'NonZero', 'Not', 'Or', 'Pow',
  'PRelu', 'QuantizeLinear', 'Range', 'Reciprocal', 'ReduceL1', 'ReduceL2', 'ReduceLogSumExp', 'ReduceMax', 'ReduceMean',
  'ReduceMin', 'ReduceProd', 'ReduceSumSquare', 'Relu', 'Reshape', 'Round', 'ScatterND', 'Selu', 'Shape', 'Sigmoid', 'Sign',
  'Sin', 'Size', 'Softplus', 'Softsign', 'SpaceToDepth', 'Sqrt', 'Sub', 'Sum', 'Tanh', 'Tile', 'Transpose', 'Where', 'Xor',
]);

export type { UpgradeResult };

/**
 * Upgrades `m` in place. `ranks` (tensor name → rank, e.g. measured during calibration) lets a
 * Softmax on the last axis keep its simple form; without it the exact Flatten/Reshape form is used.
 * Throws FormatError E_OPSET_UPGRADE listing every operator that cannot be upgraded.
 */
export function upgradeOpset(m: ModelProto, ranks?: ReadonlyMap<string, number>, target = QDQ_OPSET): UpgradeResult {
  const from = opsetOf(m) ?? 1;
  if (from >= target) return { from, to: from, rewrites: [] };
  if (from < 7) throw new FormatError('E_OPSET_UPGRADE', `model uses opset ${from}; coquant upgrades from opset 7 or later only`, 'export the model at opset 13 or later');
  const graph = m.graph!;
  const ix = new GraphEditor(graph);
  const blocked = new Map<string, number>();
  const counts = new Map<string, number>();
  const note = (what: string) => counts.set(what, (counts.get(what) ?? 0) + 1);
  const out: NodeProto[] = [];
  const i64 = (base: string, vals: number[]) => {
    const name = ix.fresh(base);
    ix.addInit(makeTensor(name, DT.INT64, [vals.length], vals));
    return name;
  };
  const moveIntsToInput = (n: NodeProto, attr: string, since: number, base: string) => {
    if (from >= since) return;
    const v = attrIntsValue(n, attr);
    n.attribute = (n.attribute ?? []).filter((a) => a.name !== attr);
    if (v !== undefined) {
      n.input = [...(n.input ?? []), i64(`${base}_${attr}`, v)];
      note(`${n.opType}: '${attr}' attribute → input`);
    }
  };

  for (const n of graph.node ?? []) {
    const dom = n.domain ?? '';
    if (dom !== '' && dom !== 'ai.onnx') {
      out.push(n);
      continue;
    }
    const op = n.opType ?? '';
    const base = n.name || op;
    switch (op) {
      case 'Clip': {
        if (from < 11) {
          const lo = getAttr(n, 'min');
          const hi = getAttr(n, 'max');
          n.attribute = (n.attribute ?? []).filter((a) => a.name !== 'min' && a.name !== 'max');
          const scal = (suffix: string, v: number) => {
            const name = ix.fresh(`${base}_${suffix}`);
            ix.addInit(makeTensor(name, DT.FLOAT, [], [v]));
            return name;
          };
          n.input = [n.input![0], lo ? scal('min', Number(lo.f ?? 0)) : '', hi ? scal('max', Number(hi.f ?? 0)) : ''];
          while (n.input.length > 1 && n.input[n.input.length - 1] === '') n.input.pop();
          note('Clip: min/max attributes → inputs');
        }
        out.push(n);
        break;
      }
      case 'Slice': {
        if (from < 10) {
          const starts = attrIntsValue(n, 'starts') ?? [];
          const ends = attrIntsValue(n, 'ends') ?? [];
          const axes = attrIntsValue(n, 'axes');
          n.attribute = [];
          n.input = [n.input![0], i64(`${base}_starts`, starts), i64(`${base}_ends`, ends)];
          if (axes) n.input.push(i64(`${base}_axes`, axes));
          note('Slice: starts/ends/axes attributes → inputs');
        }
        out.push(n);
        break;
      }
      case 'Squeeze':
      case 'Unsqueeze':
      case 'ReduceSum':
        moveIntsToInput(n, 'axes', 13, base);
        out.push(n);
        break;
      case 'Split':
        moveIntsToInput(n, 'split', 13, base);
        out.push(n);
        break;
      case 'TopK': {
        if (from < 10) {
          const k = attrIntValue(n, 'k', 0);
          n.attribute = (n.attribute ?? []).filter((a) => a.name !== 'k');
          n.input = [n.input![0], i64(`${base}_k`, [k])];
          note("TopK: 'k' attribute → input");
        }
        out.push(n);
        break;
      }
      case 'Pad': {
        if (from < 11) {
          const pads = attrIntsValue(n, 'pads') ?? [];
          const value = getAttr(n, 'value');
          n.attribute = (n.attribute ?? []).filter((a) => a.name === 'mode');
          n.input = [n.input![0], i64(`${base}_pads`, pads)];
          if (value) {
            const name = ix.fresh(`${base}_value`);
            ix.addInit(makeTensor(name, DT.FLOAT, [], [Number(value.f ?? 0)]));
            n.input.push(name);
          }
          note('Pad: pads/value attributes → inputs');
        }
        out.push(n);
        break;
      }
      case 'Dropout':
        if (from < 12) {
          n.attribute = [];
          note("Dropout: 'ratio' attribute dropped (no effect at inference)");
        }
        out.push(n);
        break;
      case 'Softmax':
      case 'LogSoftmax':
      case 'Hardmax': {
        const axis = attrIntValue(n, 'axis', 1);
        const x = n.input![0];
        const rank = ranks?.get(x);
        const isLast = axis === -1 || (rank !== undefined && axis === rank - 1);
        if (isLast) {
          n.attribute = [attrInt('axis', axis)];
          out.push(n);
          note(`${op}: axis is the last axis, unchanged`);
        } else {
          // Exact pre-13 semantics: normalise over the flattened trailing block.
          const flat = ix.fresh(`${x}_flat2d`);
          const shape = ix.fresh(`${x}_shape`);
          const y2 = ix.fresh(`${n.output![0]}_2d`);
          out.push(makeNode('Shape', [x], [shape], ix.fresh(`${base}_shape`)));
          out.push(makeNode('Flatten', [x], [flat], ix.fresh(`${base}_flatten`), [attrInt('axis', axis)]));
          out.push(makeNode(op, [flat], [y2], base, [attrInt('axis', 1)]));
          out.push(makeNode('Reshape', [y2, shape], [n.output![0]], ix.fresh(`${base}_reshape`)));
          note(`${op}: rewritten as Flatten → ${op}(axis=1) → Reshape (exact pre-13 semantics)`);
        }
        break;
      }
      case 'Resize':
        if (from < 11) blocked.set('Resize (opset 10 semantics)', (blocked.get('Resize (opset 10 semantics)') ?? 0) + 1);
        out.push(n);
        break;
      default:
        if (!UNCHANGED.has(op)) blocked.set(op, (blocked.get(op) ?? 0) + 1);
        out.push(n);
    }
  }
  if (blocked.size > 0) {
    const list = [...blocked].map(([op, c]) => `${op} x${c}`).join(', ');
    throw new FormatError(
      'E_OPSET_UPGRADE',
      `cannot raise opset ${from} → ${target}: no exact rewrite known for ${list}`,
      'export the model at opset 13 or later',
    );
  }
  graph.node = out;
  topoSort(graph);
  setOpset(m, '', target);
  return { from, to: target, rewrites: [...counts].map(([w, c]) => `${w} (x${c})`) };
}
