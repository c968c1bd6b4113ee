/**
 * Measures a `coquant.options/1` document for an ONNX model on the emulated agent device:
 *  - latency: for each clock, the model written entirely in each executable format runs on the
 *    device, once plainly (the mean and spread of real round trips) and once under onnxruntime's
 *    profiler (per-kernel times, attributed to groups and weightless nodes by kernel-trace.ts).
 *    Kernel times are rescaled so that they add up to the plain run's compute time, and the
 *    rest of the round trip (session overhead, the hop to the device) is the per-run overhead;
 *  - sensitivity: for each group and option, the model with only that group in that option runs
 *    at full speed on the calibration inputs, and the change in output distortion (and a task
 *    metric) against fp32 is recorded;
 *  - bytes and parameter distortion of the weights as actually written.
 * The server-side fp32 time of every node is measured the same way at this machine's speed.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Feed, HostTensor } from '../../data/tensor.ts';
import { CoquantError } from '../../errors.ts';
import { EXEC_FORMATS, weightGroupsOf, writeMixedFormat, type ExecFormat, type WeightGroup } from '../../formats/mixed-format.ts';
import { attrInt, DT, encodeModel, GraphEditor, makeNode, makeTensor, onnx, tensorToFloat32, type ModelProto, type TensorProto } from '../../formats/onnx-graph.ts';
import { preoptimize } from '../../formats/preoptimize.ts';
import { unpackNBits } from '../../formats/nbits-pack.ts';
import { OPTIONS_SCHEMA, type OptionsDocument } from '../../documents/options-document.ts';
import { createSession, runFeed } from '../../ort/session.ts';
import type { EmulatedDevice } from '../device-host/emulated-device.ts';
import { attributeTrace, parseTrace, type GraphNames } from './kernel-trace.ts';
import type { TensorRange } from '../../formats/calibrate-ranges.ts';
import { mean, quantile } from '../../calibrate/stats.ts';
import { FEATURE_FORMATS, type FeatureFormat } from '../../formats/feature-format.ts';
import type { SplitAnalysis } from '../split/split-model.ts';
import { measureFeatureOptions } from '../split/feature-options.ts';
import { cutEntries, inputCutName } from './exec-cuts.ts';
import { runMeanAbs } from '../../tasks/output-distortion.ts';

export interface MeasureOptionsInput {
  model: Uint8Array;
  source: string;
  /** Calibration inputs: the same inputs the distortion measurement uses. */
  feeds: Feed[];
  device: EmulatedDevice;
  deviceName: string;
  /** Clocks to measure at, Hz (any order; stored ascending). */
  clocksHz: number[];
  /** Timed runs per variant and clock (default 15, plus the same number profiled). */
  runs?: number;
  /** Formats to offer (default all executable ones). */
  formats?: readonly ExecFormat[];
  /** Optional task metric of a run's outputs against fp32 outputs (e.g. CER), lower is better. */
  task?: { name: string; score(outputs: Record<string, HostTensor>[], reference: Record<string, HostTensor>[]): number };
  /**
   * fp32 heads of the model at a few cuts (taking the same inputs). When given, the per-clock
   * time model is fitted on them and the variants, the population a plan's head belongs to;
   * otherwise on synthetic matrix-product loads.
   */
  calibrationHeads?: Uint8Array[];
  /** Time the server-side fp32 nodes too (default true). */
  server?: boolean;
  synthetic?: boolean;
  /** Measure the link formats of the crossing tensors at these cuts of a split analysis (the document's `features`). */
  links?: { analysis: SplitAnalysis; cuts: readonly string[]; formats?: readonly FeatureFormat[] };
  progress?: (done: number, total: number, what: string) => void;
  /** Activation ranges for the int8 formats (e.g. percentile ranges); default: min–max ranges on `feeds`. */
  ranges?: ReadonlyMap<string, TensorRange>;
  /**
   * Measure sensitivity for blocks of consecutive groups instead of each group alone: this many
   * blocks of about equal parameters, each group taking its share (by parameters) of its block's
   * ΔD_o, and each block tied (one format for all of it). For large models, where one forward
   * pass per group and format does not fit the time there is. Default: every group alone.
   */
  sensitivityBlocks?: number;
}

/** Groups in consecutive blocks of about equal parameters (`count` blocks), or each group alone. */
export function sensitivityBlocks<G extends { params: number }>(groups: readonly G[], count?: number): G[][] {
  if (!count || count >= groups.length) return groups.map((g) => [g]);
  const total = groups.reduce((a, g) => a + g.params, 0);
  const out: G[][] = [[]];
  let acc = 0;
  for (const g of groups) {
    const last = out[out.length - 1];
    if (last.length > 0 && acc >= (total * out.length) / count && out.length < count) out.push([g]);
    else last.push(g);
    acc += g.params;
  }
  return out;
}

const QUANTILES = [0.5, 0.9, 0.95];

/** A model with the same inputs and a one-number output: its round trip is the fixed cost of a run. */
function probeModel(pre: ModelProto): Uint8Array {
  const g = pre.graph!;
  const x = g.input![0].name!;
  // Cast first: ReduceMean has no kernel for every input type (float16, int8, uint8, …), Cast does.
  const cast = makeNode('Cast', [x], ['probe_float'], 'probe_cast', [attrInt('to', DT.FLOAT)]);
  const node = makeNode('ReduceMean', ['probe_float'], ['probe_out'], 'probe_reduce');
  const out = onnx.ValueInfoProto.create({ name: 'probe_out', type: { tensorType: { elemType: DT.FLOAT } } });
  const graph = onnx.GraphProto.create({ name: 'probe', node: [cast, node], input: [g.input![0]], output: [out] });
  return encodeModel(onnx.ModelProto.create({ irVersion: pre.irVersion, opsetImport: [{ domain: '', version: 13 }], graph }));
}

/** A chain of `depth` 64×512 · 512×512 float products: a synthetic compute load of known size. */
function loadModel(depth: number): Uint8Array {
  const w = new Float32Array(512 * 512);
  for (let i = 0; i < w.length; i++) w[i] = ((i * 2654435761) % 1000) / 1e6;
  const nodes = Array.from({ length: depth }, (_, i) => makeNode('MatMul', [i === 0 ? 'x' : `h${i}`, 'W'], [i === depth - 1 ? 'y' : `h${i + 1}`], `mm${i}`));
  const vi = (name: string) => onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: DT.FLOAT, shape: { dim: [{ dimValue: 64 }, { dimValue: 512 }] } } } });
  const graph = onnx.GraphProto.create({ name: 'load', node: nodes, input: [vi('x')], output: [vi('y')], initializer: [makeTensor('W', DT.FLOAT, [512, 512], w)] });
  return encodeModel(onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph }));
}

/** Least squares of t on the chosen columns of (c, B/1e6, 1); coefficients of the others are 0. */
function lsqColumns(pts: readonly [number, number, number][], use: readonly [boolean, boolean, boolean]): [number, number, number] | undefined {
  const idx = [0, 1, 2].filter((i) => use[i]);
  const k = idx.length;
  const S = idx.map(() => new Array<number>(k + 1).fill(0));
  for (const [c, B, t] of pts) {
    const x = [c, B / 1e6, 1];
    for (let i = 0; i < k; i++) {
      S[i][k] += x[idx[i]] * t;
      for (let j = 0; j < k; j++) S[i][j] += x[idx[i]] * x[idx[j]];
    }
  }
  // Gaussian elimination with partial pivoting on the k×k normal equations (k ≤ 3).
  for (let col = 0; col < k; col++) {
    let p = col;
    for (let r = col + 1; r < k; r++) if (Math.abs(S[r][col]) > Math.abs(S[p][col])) p = r;
    if (!(Math.abs(S[p][col]) > 1e-30)) return undefined;
    [S[col], S[p]] = [S[p], S[col]];
    for (let r = 0; r < k; r++) {
      if (r === col) continue;
      const f = S[r][col] / S[col][col];
      for (let j = col; j <= k; j++) S[r][j] -= f * S[col][j];
    }
  }
  const coef: [number, number, number] = [0, 0, 0];
  idx.forEach((c, i) => (coef[c] = S[i][k] / S[i][i]));
  return coef;
}

const sse = (pts: readonly [number, number, number][], [a, beta, b]: readonly number[]) => pts.reduce((s, [c, B, t]) => s + (t - (a * c + (beta * B) / 1e6 + b)) ** 2, 0);

/**
 * Least squares t = a·c + β·B + b over (c, B, t) points, with a ≥ 0 and β ≥ 0: a run cannot get
 * faster with more work or more bytes. When the free fit makes one negative (noise dominates a
 * tiny model's compute), the best fit with it held at 0 is taken, so no latency comes out negative.
 */
export function fitRoundTrip(pts: readonly [number, number, number][]): { a: number; beta: number; b: number } {
  const out = (x: readonly number[]) => ({ a: x[0], beta: x[1] / 1e6, b: x[2] });
  const free = lsqColumns(pts, [true, true, true]);
  if (free && free[0] >= 0 && free[1] >= 0) return out(free);
  const feasible = ([[true, false, true], [false, true, true], [false, false, true]] as const)
    .map((use) => lsqColumns(pts, use))
    .filter((x): x is [number, number, number] => x !== undefined && x[0] >= 0 && x[1] >= 0);
  if (feasible.length === 0) {
    const mc = pts.reduce((s2, p) => s2 + p[0], 0);
    const mt = pts.reduce((s2, p) => s2 + p[2], 0);
    return { a: mc > 0 ? Math.max(0, mt / mc) : 1, beta: 0, b: 0 };
  }
  return out(feasible.reduce((best, x) => (sse(pts, x) < sse(pts, best) ? x : best)));
}

function graphNames(m: ModelProto): GraphNames {
  const nodes = new Set<string>();
  const producer = new Map<string, string>();
  for (const n of m.graph?.node ?? []) {
    nodes.add(n.name ?? '');
    for (const o of n.output ?? []) producer.set(o, n.name ?? '');
  }
  return { nodes, producer };
}


/** Bytes and mean|w − ŵ| of one group's weights as written in `m`. */
function writtenWeight(m: ModelProto, g: WeightGroup, f: ExecFormat, ref: Float32Array): { bytes: number; Dp: number } {
  const ix = new GraphEditor(m.graph!);
  const node = (m.graph!.node ?? []).find((n) => n.name === g.node || (n.name ?? '').startsWith(`${g.node}_`));
  const init = (name: string | undefined): TensorProto | undefined => (name ? ix.inits.get(name) : undefined);
  const sizeOf = (t: TensorProto | undefined) => (t ? (t.rawData?.length ?? 0) || tensorToFloat32(t).length * 4 : 0);
  if (f === 'fp32' || !node) return { bytes: ref.length * 4, Dp: 0 };
  let w: Float32Array;
  let bytes = 0;
  if (f === 'qdq-int8') {
    // The weight input of the compute node is DequantizeLinear(w_int8, scale, zero point, axis).
    const dqName = node.input?.[1];
    const dq = (m.graph!.node ?? []).find((n) => n.opType === 'DequantizeLinear' && n.output?.[0] === dqName);
    const q = init(dq?.input?.[0]);
    const s = init(dq?.input?.[1]);
    if (!dq || !q || !s) return { bytes: ref.length, Dp: NaN };
    const qv = q.rawData ? new Int8Array(q.rawData.buffer, q.rawData.byteOffset, q.rawData.length) : Int8Array.from(q.int32Data ?? []);
    const sv = tensorToFloat32(s);
    const axisAttr = dq.attribute?.find((a) => a.name === 'axis');
    const axis = Number(axisAttr?.i ?? 1);
    const dims = (q.dims ?? []).map(Number);
    const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
    const ch = dims[axis];
    w = new Float32Array(qv.length);
    for (let i = 0; i < qv.length; i++) w[i] = qv[i] * sv[sv.length === 1 ? 0 : Math.floor(i / inner) % ch];
    bytes = qv.length + sizeOf(s) + sizeOf(init(dq.input?.[2]));
  } else {
    const bits = f === 'nbits4' ? 4 : 8;
    const b = init(node.input?.[1]);
    const s = init(node.input?.[2]);
    const z = init(node.input?.[3]);
    const K = Number(node.attribute?.find((a) => a.name === 'K')?.i ?? 0);
    const N = Number(node.attribute?.find((a) => a.name === 'N')?.i ?? 0);
    const block = Number(node.attribute?.find((a) => a.name === 'block_size')?.i ?? 64);
    if (!b || !s) return { bytes: ref.length, Dp: NaN };
    const bRaw = new Uint8Array(b.rawData!.buffer, b.rawData!.byteOffset, b.rawData!.length);
    const zRaw = z?.rawData ? new Uint8Array(z.rawData.buffer, z.rawData.byteOffset, z.rawData.length) : undefined;
    w = unpackNBits({ K, N, bits, blockSize: block, kBlocks: Math.ceil(K / block), blobSize: (block * bits) / 8, b: bRaw, scales: tensorToFloat32(s), zeroPoints: zRaw });
    bytes = bRaw.length + sizeOf(s) + (zRaw?.length ?? 0);
  }
  let l1 = 0;
  if (w.length === ref.length) for (let i = 0; i < w.length; i++) l1 += Math.abs(w[i] - ref[i]);
  return { bytes, Dp: w.length === ref.length ? l1 / w.length : NaN };
}

export interface MeasuredOptions {
  doc: OptionsDocument;
  /** Activation ranges of the int8 calibration, for writing plans of this model with the same scales. */
  ranges?: ReadonlyMap<string, TensorRange>;
}

export async function measureOptions(inp: MeasureOptionsInput): Promise<MeasuredOptions> {
  const runs = inp.runs ?? 15;
  const progress = inp.progress ?? (() => undefined);
  if (inp.feeds.length === 0) throw new CoquantError('E_NO_CALIBRATION', 'measuring options needs at least one calibration input');
  const pre = await preoptimize(inp.model, inp.source);
  const groups = weightGroupsOf(pre);
  if (groups.length === 0) throw new CoquantError('E_NO_WEIGHTS', `${inp.source}: no Conv/MatMul/Gemm weights to choose formats for`, { hint: 'coquant options plans weight formats; this model has no weight-carrying compute nodes', exitCode: 3 });
  const formats: ExecFormat[] = (inp.formats ?? EXEC_FORMATS).filter((f) => f !== 'fp32');
  const names = graphNames(pre);
  const clocks = [...new Set(inp.clocksHz)].sort((a, b) => a - b);
  const groupNodes = new Set(groups.map((g) => g.node));

  // Variants: everything that can take format f takes it.
  let ranges: ReadonlyMap<string, TensorRange> | undefined = inp.ranges;
  const variants: { format: ExecFormat; model: ModelProto; bytes: Uint8Array }[] = [{ format: 'fp32', model: pre, bytes: encodeModel(pre) }];
  for (const f of formats) {
    const assignment = Object.fromEntries(groups.filter((g) => g.formats.includes(f)).map((g) => [g.name, f]));
    if (Object.keys(assignment).length === 0) continue;
    const r = await writeMixedFormat(pre, assignment, { calibration: inp.feeds, ranges });
    if (f === 'qdq-int8') ranges ??= r.ranges;
    variants.push({ format: f, model: r.model, bytes: encodeModel(r.model) });
  }

  // One tick per timed variant and clock, per sensitivity run, per link format at each cut, and the server.
  const linkSteps = inp.links ? inp.links.cuts.length * (1 + (inp.links.formats ?? FEATURE_FORMATS).filter((f) => f !== 'fp32').length) : 0;
  const sensitivitySteps = sensitivityBlocks(groups, inp.sensitivityBlocks).reduce((a, b) => a + formats.filter((f) => b.some((g) => g.formats.includes(f))).length, 0);
  const steps = (clocks.length + 1) * variants.length + sensitivitySteps + 1 + linkSteps;
  let done = 0;
  const tick = (what: string) => progress(++done, steps, what);

  // Latency on the device. Per-kernel shares come from onnxruntime's profiler at one full core
  // (profiling under bandwidth control would pin each throttling stall on whichever kernel was
  // running); each clock's time model below turns full-core seconds into device seconds.
  const feed = inp.feeds[0];
  const dev = inp.device;
  /** Round trips and device-side compute of `runs` timed runs after one warm-up. */
  const timed = async (bytes: Uint8Array, f: Feed) => {
    await dev.load('plain', bytes);
    const w = await dev.run('plain', f);
    const rt: number[] = [];
    const compute: number[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await dev.run('plain', f);
      rt.push(r.ms / 1000);
      compute.push(r.computeMs / 1000);
    }
    await dev.release('plain');
    return { rt, compute, outBytes: Object.values(w.outputs).reduce((a, t) => a + t.data.byteLength, 0) };
  };
  const share = new Map<string, number>(); // `${format}\n${origin}` → seconds at one full core
  const fullCompute = new Map<ExecFormat, number>();
  await dev.setFullCore();
  for (const v of variants) {
    await dev.load('prof', v.bytes, true);
    for (let i = 0; i <= runs; i++) await dev.run('prof', feed);
    const trace = parseTrace(await dev.endProfile('prof'));
    await dev.release('prof');
    const plain = mean((await timed(v.bytes, feed)).compute);
    trace.runs.shift(); // the warm-up run
    trace.runUs.shift();
    const att = attributeTrace(trace, names);
    // Profiled kernels run a little slower than plain ones: rescale to the plain compute time.
    const scale = plain / ((att.kernelUs + att.unattributedUs) / 1e6);
    fullCompute.set(v.format, plain);
    for (const [origin, us] of att.byOrigin) {
      if (!groupNodes.has(origin) && v.format !== 'fp32') continue; // weightless nodes: from fp32
      share.set(`${groupNodes.has(origin) ? v.format : 'fp32'}\n${origin}`, (us / 1e6) * scale);
    }
    tick(`kernel times of ${v.format}`);
  }
  // The device's round trip for a run of c seconds of full-core compute returning B bytes is
  // modelled per clock as t = a·c + β·B + b. Bandwidth control is not a uniform slow-down (a run
  // starts with its period's quota unspent, and a stall can land after the run, in the hop), so
  // (a, β, b) are fitted by least squares on round trips of the variants, of fp32 heads of the
  // model (or synthetic matrix-product loads) and of a probe with a one-number output. A group
  // then costs share·a, and b and β are the per-run overhead and per-byte cost.
  const probe = probeModel(pre);
  const loadFeed: Feed = { x: { type: 'float32', data: new Float32Array(64 * 512).fill(0.01), dims: [64, 512] } };
  const extras: { bytes: Uint8Array; feed: Feed; full: number; outBytes: number }[] = [
    ...(inp.calibrationHeads?.length
      ? inp.calibrationHeads.map((h) => ({ bytes: h, feed, full: 0, outBytes: 0 }))
      : [1, 6, 24].map((d) => ({ bytes: loadModel(d), feed: loadFeed, full: 0, outBytes: 0 }))),
    { bytes: probe, feed, full: 0, outBytes: 0 },
  ];
  for (const x of extras) {
    const r = await timed(x.bytes, x.feed);
    x.full = mean(r.compute);
    x.outBytes = r.outBytes;
  }
  const overheadS: number[] = [];
  const outputByteS: number[] = [];
  const ratios: number[][] = [];
  const perClockA: number[] = [];
  for (const hz of clocks) {
    await dev.setClock(hz);
    const rowRatios: number[][] = [];
    const pts: [number, number, number][] = [];
    for (const v of variants) {
      const r = await timed(v.bytes, feed);
      const m = mean(r.rt);
      pts.push([fullCompute.get(v.format)!, r.outBytes, m]);
      rowRatios.push(QUANTILES.map((q) => quantile(r.rt, q) / m));
      tick(`latency of ${v.format} at ${(hz / 1e9).toFixed(2)} GHz`);
    }
    for (const x of extras) {
      const r = await timed(x.bytes, x.feed);
      pts.push([x.full, x.outBytes, mean(r.rt)]);
    }
    const fit = fitRoundTrip(pts);
    perClockA.push(fit.a);
    overheadS.push(fit.b);
    outputByteS.push(Math.max(0, fit.beta));
    ratios.push(QUANTILES.map((_, j) => mean(rowRatios.map((r) => r[j]))));
  }
  await dev.setClock(clocks[clocks.length - 1]);
  const lat = new Map<string, number[]>();
  for (const [key, sec] of share) {
    lat.set(key, clocks.map((_, k) => sec * perClockA[k]));
  }

  // Sensitivity at full speed, in this process.
  const fpSession = await createSession(variants[0].bytes, { label: inp.source });
  const refOut: Record<string, HostTensor>[] = [];
  for (const f of inp.feeds) refOut.push(await runFeed(fpSession, f));
  let serverNodeS: Record<string, number> | undefined;
  await fpSession.release();
  const initByName = new GraphEditor(pre.graph!).inits;
  const refs = new Map(groups.map((g) => [g.name, tensorToFloat32(initByName.get(g.weight)!)]));
  const opts = new Map<string, OptionsDocument['groups'][number]['options']>(
    groups.map((g) => [g.name, [{ format: 'fp32', executable: true, bits: 32, latencyS: lat.get(`fp32\n${g.node}`) ?? clocks.map(() => 0), bytes: refs.get(g.name)!.length * 4, Dp: 0, deltaDo: 0, ...(inp.task ? { task: 0 } : {}) }]]),
  );
  const ties: string[][] = [];
  for (const block of sensitivityBlocks(groups, inp.sensitivityBlocks)) {
    const tied = new Set<string>();
    for (const f of formats) {
      const members = block.filter((g) => g.formats.includes(f));
      if (members.length === 0) continue;
      const names = members.map((g) => g.name).join(', ');
      const r = await writeMixedFormat(pre, Object.fromEntries(members.map((g) => [g.name, f])), { calibration: inp.feeds, ranges });
      const took = members.filter((g) => r.applied[g.name] === f);
      if (took.length === 0) {
        tick(`${names} cannot take ${f}`);
        continue;
      }
      const s = await createSession(encodeModel(r.model), { label: `${inp.source} (${took.length === 1 ? took[0].name : `${took.length} groups`} in ${f})` });
      const outs: Record<string, HostTensor>[] = [];
      let d = 0;
      for (const [i, fd] of inp.feeds.entries()) {
        const o = await runFeed(s, fd);
        outs.push(o);
        d += runMeanAbs(refOut[i], o);
      }
      await s.release();
      // A block's measured change is shared among its groups by parameters; the block is tied, so the planner sums it back.
      const params = took.reduce((a, g) => a + g.params, 0);
      const task = inp.task ? inp.task.score(outs, refOut) : undefined;
      for (const g of took) {
        const w = writtenWeight(r.model, g, f, refs.get(g.name)!);
        opts.get(g.name)!.push({
          format: f,
          executable: true,
          bits: f === 'nbits4' ? 4 : 8,
          latencyS: lat.get(`${f}\n${g.node}`) ?? clocks.map(() => 0),
          bytes: w.bytes,
          ...(Number.isFinite(w.Dp) ? { Dp: w.Dp } : {}),
          deltaDo: ((d / inp.feeds.length) * g.params) / Math.max(1, params),
          ...(task !== undefined ? { task } : {}),
        });
        if (took.length > 1) tied.add(g.name);
      }
      tick(`sensitivity of ${took.length === 1 ? took[0].name : `${took.length} groups (${took[0].name} …)`} in ${f}`);
    }
    // Only groups with the same formats can be tied (a tie's options are the formats all its members have).
    const byFormats = new Map<string, string[]>();
    for (const n of tied) {
      const key = opts.get(n)!.map((o) => o.format).join(',');
      byFormats.set(key, [...(byFormats.get(key) ?? []), n]);
    }
    for (const t of byFormats.values()) if (t.length > 1) ties.push(t);
  }
  const docGroups: OptionsDocument['groups'] = groups.map((g) => {
    const ref = refs.get(g.name)!;
    let abs = 0;
    for (let i = 0; i < ref.length; i++) abs += Math.abs(ref[i]);
    return { name: g.name, node: g.node, op: g.op, params: g.params, ...(abs > 0 ? { lambda: ref.length / abs } : {}), options: opts.get(g.name)! };
  });

  if (inp.server !== false) {
    const dir = await mkdtemp(join(tmpdir(), 'coquant-server-'));
    try {
      const s = await createSession(variants[0].bytes, { label: inp.source, profilePrefix: join(dir, 'p') });
      const rt: number[] = [];
      for (let i = 0; i <= runs; i++) {
        const t0 = performance.now();
        await runFeed(s, feed);
        if (i > 0) rt.push((performance.now() - t0) / 1000);
      }
      (s as unknown as { endProfiling(): unknown }).endProfiling();
      await s.release();
      const file = (await readdir(dir)).find((f) => f.endsWith('.json'));
      if (file) {
        const trace = parseTrace(JSON.parse(await readFile(join(dir, file), 'utf8')) as unknown[]);
        trace.runs.shift();
        trace.runUs.shift();
        const att = attributeTrace(trace, names);
        // Spread each run's measured time over its kernels.
        const scale = mean(rt) / (att.kernelUs / 1e6);
        serverNodeS = Object.fromEntries([...att.byOrigin].map(([o, us]) => [o, (us / 1e6) * scale]));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  tick('done');

  const weightless = [...lat.entries()].filter(([k]) => k.startsWith('fp32\n') && !groupNodes.has(k.slice(5))).map(([k, v]) => ({ name: k.slice(5), latencyS: v }));
  const doc: OptionsDocument = {
    schema: OPTIONS_SCHEMA,
    model: { source: inp.source, synthetic: inp.synthetic ?? false, inputs: Object.fromEntries(Object.entries(feed).map(([k, t]) => [k, [...t.dims]])) },
    device: { name: inp.deviceName, clocksHz: clocks, emulation: `${inp.device.emulation.kind} (${(inp.device.emulation.fullSpeedShare * 100).toFixed(0)}% of one core at ${(inp.device.fMaxHz / 1e9).toFixed(2)} GHz, period ${inp.device.emulation.periodUs} µs)` },
    overheadS,
    outputByteS,
    nodes: weightless,
    spread: { quantiles: QUANTILES, ratio: ratios },
    distortion: { metric: 'mean |y − y_fp32| over every output element (output distortion D_o)', reference: 'fp32', inputs: inp.feeds.length, ...(inp.task ? { task: inp.task.name } : {}) },
    groups: docGroups,
    ties,
    ...(serverNodeS ? { server: { nodeS: serverNodeS, overheadS: 0 } } : {}),
  };
  if (inp.links) {
    // Link formats per cut, measured like the weights' sensitivity: real forward passes on the same inputs.
    doc.features = await measureFeatureOptions(inp.links.analysis, inp.links.cuts, inp.feeds, { formats: inp.links.formats, task: inp.task, progress: tick });
    // The cuts themselves (crossing tensors, agent side, the tail's server time), so `plan --options` plans them without the model.
    const a = inp.links.analysis;
    doc.cuts = cutEntries(a, doc, { input: inp.links.cuts.includes(inputCutName(a)), only: inp.links.cuts });
  }
  return { doc, ranges };
}
