import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPlanFile } from '../../src/documents/plan-document.ts';

const dir = mkdtempSync(join(tmpdir(), 'coquant-plandoc-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('the one reader of plan files', () => {
  it('tells a bits plan from an executable plan and keeps their fields', async () => {
    const bits = await readPlanFile(file('b.json', JSON.stringify({ schema: 'coquant.plan/1', feasible: true, bits: null, groups: [{ name: 'w', bits: 6, extra: 1 }] })));
    expect(bits.kind).toBe('bits');
    expect(bits.kind === 'bits' && bits.doc.groups![0]).toMatchObject({ name: 'w', bits: 6, extra: 1 });
    const exec = await readPlanFile(file('e.json', JSON.stringify({ schema: 'coquant.exec-plan/1', feasible: true, formats: { w: 'qdq-int8' }, cut: 'x' })));
    expect(exec.kind).toBe('exec');
    expect(exec.doc).toMatchObject({ formats: { w: 'qdq-int8' }, cut: 'x' });
  });

  it('refuses unreadable files, other documents and wrong fields with one line that names the file', async () => {
    await expect(readPlanFile(join(dir, 'missing.json'))).rejects.toThrow(/cannot read plan .*missing\.json/);
    await expect(readPlanFile(file('j.json', '{"schema": "coquant.plan/1", "fea'))).rejects.toThrow(/cannot read plan/);
    await expect(readPlanFile(file('o.json', JSON.stringify({ schema: 'coquant.profile/1' })))).rejects.toThrow(/is not a coquant plan \(schema is "coquant.profile\/1"\)/);
    await expect(readPlanFile(file('w.json', JSON.stringify({ schema: 'coquant.plan/1', feasible: 'yes' })))).rejects.toThrow(/field feasible/);
  });
});
