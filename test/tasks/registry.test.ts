import { describe, expect, it } from 'vitest';
import { bundledModels } from '../../src/io/bundled-models.ts';
import { readSignature } from '../../src/ort/session.ts';
import { TASKS, taskFor } from '../../src/tasks/registry.ts';
import { decodeRecOutput, ppocrRecTask } from '../../src/tasks/ppocr-rec.ts';
import { genericTask } from '../../src/tasks/generic.ts';
import { charsetFromDictionary } from '../../src/ocr/ctc.ts';
import { OutputDiff } from '../../src/tasks/output-distortion.ts';
import { generateFcModel } from '../../src/synth/fc-model.ts';

describe('task registry', () => {
  it('recognises the bundled recognizer as PP-OCR rec, and the detector and an FC model as generic', async () => {
    const m = bundledModels();
    expect(taskFor(await readSignature(m.rec)).id).toBe('ppocr-rec');
    expect(taskFor(await readSignature(m.det)).id).toBe('generic');
    expect(taskFor(await readSignature(generateFcModel({ widths: [4, 3], seed: 1 }).bytes)).id).toBe('generic');
  });

  it('the generic task is last and matches everything, so every model has a task', () => {
    expect(TASKS[TASKS.length - 1]).toBe(genericTask);
    expect(genericTask.matches({ inputs: [], outputs: [] })).toBe(true);
  });

  it('an explicit task that does not fit the model is a usage error naming the alternatives', () => {
    expect(() => taskFor({ inputs: [{ name: 'x', type: 'float32', shape: [1, 8] }], outputs: [] }, 'ppocr-rec')).toThrow(/does not fit/);
    expect(() => taskFor({ inputs: [], outputs: [] }, 'nope')).toThrow(/unknown task/);
  });

  it('rendered inputs are deterministic by seed and carry one label per line', async () => {
    const sig = { inputs: [{ name: 'x', type: 'float32', shape: ['N', 3, 48, 'W'] }], outputs: [] };
    const a = await ppocrRecTask.makeInputs(sig, { count: 2, seed: 4, uniformShape: true });
    const b = await ppocrRecTask.makeInputs(sig, { count: 2, seed: 4, uniformShape: true });
    expect(a.labels).toHaveLength(2);
    expect(a.feeds[0].x.dims).toEqual([1, 3, 48, 320]);
    expect(Buffer.from((a.feeds[1].x.data as Float32Array).buffer).equals(Buffer.from((b.feeds[1].x.data as Float32Array).buffer))).toBe(true);
  });
});

describe('PP-OCR decoding and scoring', () => {
  // Invariant: ArgMax indices and the scores they came from decode to the same text.
  const cs = charsetFromDictionary('a\nb\nc', { spaceChar: true }); // classes: blank, a, b, c, space
  it('CTC scores and their ArgMax indices decode to the same text; other outputs are not read', () => {
    const steps = [1, 1, 0, 2, 2, 3, 0, 3];
    const scores = new Float32Array(steps.length * cs.chars.length);
    steps.forEach((c, t) => (scores[t * cs.chars.length + c] = 1));
    const fromScores = decodeRecOutput({ type: 'float32', data: scores, dims: [1, steps.length, cs.chars.length] }, cs);
    const fromIdx = decodeRecOutput({ type: 'int64', data: BigInt64Array.from(steps.map(BigInt)), dims: [1, steps.length] }, cs);
    expect(fromScores).toEqual(['abcc']);
    expect(fromIdx).toEqual(fromScores);
    expect(decodeRecOutput({ type: 'float32', data: new Float32Array(12), dims: [1, 3, 4] }, cs)).toBeUndefined();
  });

  it('scores: CER against the reference is 0 for identical text, accuracy counts exact matches', () => {
    const m = Object.fromEntries(ppocrRecTask.score!(['EXIT', 'STOP'], ['EXIT', 'STAP'], ['EXIT', 'STOP']).map((x) => [x.name, x.value]));
    expect(m.cerVsFp).toBeCloseTo(1 / 8);
    expect(m.accuracy).toBe(0.5);
    expect(ppocrRecTask.score!(['AB'], ['AB'])[0].value).toBe(0);
  });
});

describe('output distortion', () => {
  // Invariant: D_o and relative L2 equal their definitions computed directly; zero references never give Infinity.
  it('matches the closed form on a hand example and stays finite against an all-zero reference', () => {
    const d = new OutputDiff();
    d.add([1, 2], [1.5, 2]);
    d.add([0, 4], [0, 3]);
    const r = d.result();
    expect(r.Do).toBeCloseTo((0.25 + 0.5) / 2);
    expect(r.relL2).toBeCloseTo(Math.sqrt((0.25 + 1) / (1 + 4 + 16)));
    const z = new OutputDiff();
    z.add([0, 0], [0, 1]);
    expect(z.result().relL2).toBeNull();
    const same = new OutputDiff();
    same.add([0, 0], [0, 0]);
    expect(same.result().relL2).toBe(0);
  });
});
