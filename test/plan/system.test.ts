import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSystem } from '../../src/app/load-system.ts';
import { parseBitsArg } from '../../src/app/plan-flags.ts';
import { paperPreset } from '../../src/plan/presets.ts';
import { parseSystem } from '../../src/plan/system.ts';

const clone = () => JSON.parse(JSON.stringify(paperPreset));
const errorsOf = (x: unknown) => {
  const r = parseSystem(x);
  expect(r.ok).toBe(false);
  return r.ok ? [] : r.errors;
};

describe('system description validation (messages name the offending field)', () => {
  it('accepts every preset composition', () => {
    expect(parseSystem(paperPreset).ok).toBe(true);
  });
  it('rejects negative budgets', () => {
    const s = clone();
    s.constraints.E0 = -2;
    s.constraints.T0 = -1;
    const e = errorsOf(s);
    expect(e.some((m) => m.startsWith('constraints.E0: must be > 0'))).toBe(true);
    expect(e.some((m) => m.startsWith('constraints.T0: must be > 0'))).toBe(true);
  });
  it('rejects fMin > fMax with both values in the message', () => {
    const s = clone();
    s.agent.fMin = 3e9;
    expect(errorsOf(s)).toContain('agent.fMin: must be ≤ agent.fMax (got 3000000000 > 2000000000)');
  });
  it('rejects an empty bit set', () => {
    const s = clone();
    s.bits = [];
    expect(errorsOf(s)).toContain('bits: the allowed bit set is empty');
  });
  it('rejects unknown keys, naming the section and the key', () => {
    const s = clone();
    s.agent.fmax = 1;
    s.extra = true;
    const e = errorsOf(s);
    expect(e).toContain('agent: unknown key "fmax"');
    expect(e).toContain('(top level): unknown key "extra"');
  });
  it('rejects a device with both levels and a range, and duplicate group names', () => {
    const s = clone();
    s.agent.levels = [1e9];
    s.model.groups[1].name = s.model.groups[0].name;
    const e = errorsOf(s);
    expect(e.some((m) => m.startsWith('agent.levels: give either levels or fMin/fMax'))).toBe(true);
    expect(e.some((m) => m.startsWith('model.groups[1].name: duplicate group name'))).toBe(true);
  });
  it('parses --bits ranges and lists, and refuses nonsense', () => {
    expect(parseBitsArg('2-4')).toEqual([2, 3, 4]);
    expect(parseBitsArg('8,4,4,16')).toEqual([4, 8, 16]);
    expect(() => parseBitsArg('9-3')).toThrow(/empty/);
    expect(() => parseBitsArg('a,b')).toThrow(/expected/);
  });
});

describe('loading descriptions from files', () => {
  it('reads YAML with a profile reference relative to the file, and applies overrides', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'coquant-plan-'));
    const profile = { schema: 'coquant.profile/1', groups: [{ name: 'conv1.weight', params: 864, lambda: 12.5 }, { name: 'empty', params: 0, lambda: 1 }, { name: 'fc.weight', params: 20000, lambda: 30 }] };
    await writeFile(join(dir, 'profile.json'), JSON.stringify(profile));
    await writeFile(
      join(dir, 'sys.yaml'),
      ['agent: { fMin: 1.0e8, fMax: 1.5e9, kappa: 1.0e-27, cyclesPerParamBit: 1000 }', 'server: { fMax: 3.0e9, kappa: 1.0e-28, cyclesPerParamBit: 1 }', 'link: { rateBps: 1.0e8, txPowerW: 1, featureElems: 4096 }', 'constraints: { T0: 1, E0: 1 }', 'agentBits: per-group', 'model: { profile: profile.json }', ''].join('\n'),
    );
    const l = await loadSystem({ system: join(dir, 'sys.yaml'), T0: 0.02 });
    expect(l.problem.T0).toBe(0.02);
    expect(l.problem.E0).toBe(1);
    expect(l.problem.cuts[0].groups.map((g) => g.name)).toEqual(['conv1.weight', 'fc.weight']);
    expect(l.notes.join(' ')).toMatch(/1 profile group/);
  });
  it('reports a bad file with its path and the field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'coquant-plan-'));
    const f = join(dir, 'bad.json');
    await writeFile(f, JSON.stringify({ ...paperPreset, link: { ...paperPreset.link, rateBps: 0 } }));
    await expect(loadSystem({ system: f })).rejects.toThrow(/link\.rateBps: must be > 0/);
    await expect(loadSystem({ system: join(dir, 'missing.yaml') })).rejects.toThrow(/no such file/);
    await expect(loadSystem({ preset: 'nope' })).rejects.toThrow(/unknown preset/);
  });
  it('composes device presets over the paper preset', async () => {
    const l = await loadSystem({ agent: 'jetson-orin-agent', server: 'edge-gpu-server', E0: 3 });
    expect(l.problem.agent.levels).toHaveLength(4);
    expect(l.problem.server.fMax).toBe(1410e6);
    expect(l.problem.E0).toBe(3);
    expect(l.problem.T0).toBe(3.5);
  });
});
