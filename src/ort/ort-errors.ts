/**
 * onnxruntime's failures as one-line coquant errors. onnxruntime reports a failed kernel as
 * "Non-zero status code returned while running OP node. Name:'NODE' Status Message: FILE:LINE
 * SIGNATURE CHECK was false. DETAIL", and a refused graph with the operator and node in one of
 * several phrasings. This module pulls out the operator, the node and the readable detail, and
 * drops onnxruntime's source paths and C++ signatures, which tell a user nothing.
 */
import { CoquantError } from '../errors.ts';

export interface OrtFailure {
  /** Operator type, e.g. CumSum, when onnxruntime names one. */
  op?: string;
  /** Node name, when onnxruntime names one ('' for an unnamed node). */
  node?: string;
  /** The readable part of the message, on one line. */
  detail: string;
}

const MAX_DETAIL = 240;
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

/** Removes "/onnxruntime_src/…/file.cc:123 " locations and the C++ signature that follows them. */
function stripInternals(s: string): string {
  let t = s.replace(/\[ONNXRuntimeError\]\s*:\s*\d+\s*:\s*[A-Z_]+\s*:\s*/g, '');
  const loc = /(?:\/?[\w.+-]+\/)*[\w.+-]+\.(?:cc|h|cpp|hpp):\d+\s+/;
  const m = loc.exec(t);
  if (m) {
    const after = t.slice(m.index + m[0].length);
    // "SIGNATURE CHECK was false. DETAIL": the detail is what a user can act on.
    const wasFalse = after.indexOf(' was false. ');
    let rest = wasFalse >= 0 ? after.slice(wasFalse + ' was false. '.length) : after;
    if (wasFalse < 0) {
      // "ret_type ns::Func(args) [with …] DETAIL": drop the signature when there is one.
      const sig = /^[\w:<>,*& ]*onnxruntime::[\w:<>~]+\([^)]*\)(?:\s*const)?(?:\s*\[[^\]]*\])?\s+/.exec(rest);
      if (sig) rest = rest.slice(sig[0].length);
      // A bare function name ("GetSizeInBytesFromTensorProto Out of bounds…") says nothing either.
      else rest = rest.replace(/^[A-Z][a-z]+(?:[A-Z][a-z0-9]*)+\s+(?=\S)/, '');
    }
    t = `${t.slice(0, m.index)}${rest}`;
  }
  return t.replace(/\s+/g, ' ').trim();
}

/** Splits an onnxruntime error message into operator, node and detail. */
export function parseOrtMessage(message: string): OrtFailure {
  const msg = message.replace(ANSI_COLOUR, '');
  const run = /Non-zero status code returned while running (\S+) node\. Name:'([^']*)' Status Message: ([\s\S]*)/.exec(msg);
  if (run) return { op: run[1], node: run[2], detail: clip(stripInternals(run[3])) };
  const impl = /Could not find an implementation for (\S+?)\((\d+)\) node with name '([^']*)'/.exec(msg);
  if (impl) return { op: impl[1], node: impl[3], detail: `onnxruntime's CPU provider has no kernel for ${impl[1]} (opset ${impl[2]}) with these input types` };
  let op: string | undefined;
  let node: string | undefined;
  const opNode = /operator \(([^)]+)\) in node \(([^)]*)\)/.exec(msg);
  const inNode = /In Node, \("([^"]*)", ([^,]+), "[^"]*", -?\d+\)/.exec(msg);
  const nodeNamed = /[Nn]ode \(([^)]*)\) Op \(([^)]+)\)/.exec(msg);
  if (opNode) [op, node] = [opNode[1], opNode[2]];
  else if (inNode) [op, node] = [inNode[2].trim(), inNode[1]];
  else if (nodeNamed) [op, node] = [nodeNamed[2], nodeNamed[1]];
  let detail = stripInternals(msg)
    .replace(/^(?:Load model from \S+ failed:|This is an invalid model\.|Invalid model\.|Failed to load model (?:with error|because protobuf parsing failed)?:?)\s*/i, '')
    .replace(/^In Node, \([^)]*\) : \([^)]*\)\s*,\s*/, '');
  if (detail.length === 0) detail = 'onnxruntime gave no reason';
  return { op, node, detail: clip(detail) };
}

const clip = (s: string) => (s.length > MAX_DETAIL ? `${s.slice(0, MAX_DETAIL - 1)}…` : s);

/** "CumSum node 'n0': axis 8 is not in valid range [-1,0]" (or the detail alone when no node is named). */
export function describeOrtFailure(f: OrtFailure): string {
  if (f.op === undefined) return f.detail;
  return `${f.op} node${f.node ? ` '${f.node}'` : ''}: ${f.detail}`;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** onnxruntime refused to load a model: the model's problem (exit code 3). */
export function ortLoadError(e: unknown, label: string): CoquantError {
  if (e instanceof CoquantError) return e;
  const f = parseOrtMessage(messageOf(e));
  return new CoquantError('E_ORT_LOAD', `onnxruntime cannot load ${label}: ${describeOrtFailure(f)}`, {
    hint: f.op ? `the ${f.op} node is not valid for onnxruntime's CPU provider; fix or re-export the model` : 'check that the file is a valid ONNX model with operators onnxruntime supports',
    exitCode: 3,
    cause: e,
  });
}

/**
 * A forward pass failed. `what` says which run ("inference with inputs x[1x3]"); `hint` says
 * which inputs to change, with flags that exist on the calling command.
 */
export function ortRunError(e: unknown, what: string, hint: string): CoquantError {
  if (e instanceof CoquantError) return e;
  const f = parseOrtMessage(messageOf(e));
  return new CoquantError('E_ORT_RUN', `${what} failed in onnxruntime: ${describeOrtFailure(f)}`, { hint, cause: e });
}
