/**
 * The planner's side of `coquant calibrate`: the device profile document (schema
 * `coquant.device/1`, docs/calibrate.md), reading and validating it, and the two ways a plan
 * uses it:
 *  (a) the fitted SPEC §5 constants replace the agent's cyclesPerParamBit (and kappa when
 *      energy was measured), and the agent's clock becomes the clock(s) it was measured at;
 *  (b) with one shared bit-width, when the measured table T(b, f) covers every allowed
 *      bit-width, the plan is a direct search over the table rows instead of the linear model.
 * The document itself (type, schema, reading) is documents/device-document.ts.
 */
import { CoquantError } from '../errors.ts';
import type { DeviceProfile, DeviceRow } from '../documents/device-document.ts';
import { agentCycles, distortion, fixedStages, FEAS_TOL } from './cost.ts';
import type { PlanCut, PlanProblem } from './problem.ts';
import { planResult, type PlanResult } from './result.ts';

export { deviceProfileSchema, deviceRowSchema, parseDeviceProfile, readDeviceProfile, type DeviceProfile, type DeviceRow } from '../documents/device-document.ts';

/** Distinct clocks the rows were measured at (ascending); empty without clock control. */
export function measuredClocks(dp: DeviceProfile): number[] {
  return [...new Set(dp.rows.map((r) => r.hz).filter((h): h is number => h !== null))].sort((a, b) => a - b);
}

/**
 * (a) Returns a copy of a raw (not yet validated) system description whose agent takes the
 * profile's constants. Clocks: the measured levels, else the nominal clock as a single level.
 */
export function applyDeviceProfile(raw: Record<string, unknown>, dp: DeviceProfile, notes: string[]): Record<string, unknown> {
  if (!dp.fit) throw new CoquantError('E_DEVICE_PROFILE', `device profile '${dp.name}' has no fitted model (no format other than fake was measured)`, { hint: 'rerun coquant calibrate with --formats fp32,qdq-int8' });
  const agent: Record<string, unknown> = { ...((raw.agent as Record<string, unknown> | undefined) ?? {}) };
  agent.cyclesPerParamBit = dp.fit.cyclesPerParamBit;
  // The calibrated linear model replaces the paper's FLOP model if the system used it.
  delete agent.flopsPerCycle;
  const clocks = measuredClocks(dp);
  const levels = clocks.length ? clocks : dp.host.nominalHz ? [dp.host.nominalHz] : null;
  if (levels) {
    delete agent.fMin;
    delete agent.fMax;
    agent.levels = levels;
  }
  if (dp.fit.kappa !== null) {
    agent.kappa = dp.fit.kappa;
    delete agent.psi;
    delete agent.eta;
  }
  agent.name = `${dp.name} (calibrated)`;
  agent.source = `coquant calibrate ${dp.createdAt}`;
  const c = Number(dp.fit.cyclesPerParamBit.toPrecision(4));
  notes.push(
    `device profile '${dp.name}': agent cyclesPerParamBit = ${c} (fit R² ${dp.fit.r2.toFixed(3)}, max rel. error ${(100 * dp.fit.maxRelErr).toFixed(1)}%)` +
      (clocks.length ? `, clock levels ${clocks.map((h) => (h / 1e9).toFixed(2)).join('/')} GHz` : levels ? `, clock fixed at the measured ${(levels[0]! / 1e9).toFixed(2)} GHz (no clock control when calibrated)` : ''),
  );
  notes.push(dp.fit.kappa !== null ? `device profile: kappa = ${dp.fit.kappa.toPrecision(4)} measured` : 'device profile: kappa not measured (no power meter); kept the system\'s kappa');
  return { ...raw, agent };
}

/** The measured row the plan would run at b bits and clock hz (null = unknown clock): fastest format. */
export function tableRow(dp: DeviceProfile, bits: number, hz: number | null): DeviceRow | null {
  let best: DeviceRow | null = null;
  for (const r of dp.rows) {
    if (r.bits !== bits) continue;
    if (hz !== null && r.hz !== null && Math.abs(r.hz - hz) > 1e-6 * hz) continue;
    if (!best || r.medianS < best.medianS) best = r;
  }
  return best;
}

export interface TablePlan extends PlanResult {
  /** Which delay model the plan used, and the measured row it picked. */
  delayModel: 'measured-table';
  measuredRow: DeviceRow;
}

const agentParamsOf = (cut: PlanCut) => cut.groups.reduce((s, g) => s + g.params, 0);
/** Agent cycles of the cut with every group at b bits (c·b·N for the fitted linear model). */
const sharedCycles = (p: PlanProblem, cut: PlanCut, b: number) => agentCycles(p, cut, cut.groups.map(() => b));

/**
 * (b) Plans on the measured table: shared bit-width only, every allowed bit-width covered, and
 * the cut's agent part is the measured sub-model (same parameter count within 1%). Returns null
 * (with the reason in `why`) when the table does not apply; the caller falls back to (a).
 * Energy per row is the meter's reading, else the linear model κ·c·b·N·f².
 */
export function planOnTable(p: PlanProblem, dp: DeviceProfile, why: string[]): TablePlan | null {
  if (p.mode !== 'shared') {
    why.push('measured table not used: it applies to one shared bit-width, the plan is per group');
    return null;
  }
  const missing = p.bits.filter((b) => !dp.rows.some((r) => r.bits === b));
  if (missing.length) {
    why.push(`measured table not used: no measured rows for ${missing.length} allowed bit-width(s) (${missing.slice(0, 8).join(', ')}); calibrate them or pass --bits ${[...new Set(dp.rows.map((r) => r.bits))].sort((a, b) => a - b).join(',')}`);
    return null;
  }
  const cuts = p.cuts.filter((c) => Math.abs(agentParamsOf(c) - dp.subModel.params) <= 0.01 * dp.subModel.params);
  if (!cuts.length) {
    why.push(`measured table not used: it was measured on a sub-model with ${dp.subModel.params} parameters; no cut runs that many on the agent`);
    return null;
  }
  const clocks = measuredClocks(dp);
  const hzList: Array<number | null> = clocks.length ? clocks : [null];
  let best: { cut: PlanCut; bits: number; row: DeviceRow; hz: number; total: number; DU: number } | null = null;
  let rowsTried = 0;
  for (const cut of cuts) {
    const serverHz = p.server.fMax;
    const fx = fixedStages(p, cut, serverHz);
    for (const b of p.bits) {
      if (cut.groups.some((g) => g.minBits > b)) continue;
      for (const hz of hzList) {
        const row = tableRow(dp, b, hz);
        if (!row) continue;
        rowsTried++;
        const f = hz ?? row.hz ?? dp.host.nominalHz ?? p.agent.fMax;
        const eAgent = row.joules ?? p.agent.kappa * sharedCycles(p, cut, b) * f * f;
        const T = row.medianS + fx.linkT + fx.serverT;
        const E = eAgent + fx.linkE + (p.energyScope === 'total' ? fx.serverE : 0);
        if (T > p.T0 * (1 + FEAS_TOL) || E > p.E0 * (1 + FEAS_TOL)) continue;
        // The problem's objective (D_U, or D_U − D_L), under its bound.
        const DU = distortion(p, cut, cut.groups.map(() => b)).objective;
        if (!best || DU < best.DU * (1 - 1e-12) || (Math.abs(DU - best.DU) <= 1e-12 * best.DU && T < best.total)) best = { cut, bits: b, row, hz: f, total: T, DU };
      }
    }
  }
  if (!best) {
    why.push(`measured table: none of its ${rowsTried} applicable row(s) meets T0 = ${p.T0} s and E0 = ${p.E0} J`);
    return null;
  }
  const { cut, bits, row, hz } = best;
  const res = planResult(p, 'exact', cut, cut.groups.map(() => bits), hz, p.server.fMax, {
    notes: [
      `delay model: measured table T(b, f) from the device profile (${dp.rows.length} rows); the agent runs ${row.format} at ${bits} bits, measured median ${(row.medianS * 1e3).toPrecision(4)} ms over ${row.reps} runs`,
      row.joules !== null ? 'agent energy: measured by the power meter' : 'agent energy: not measured; from the linear model κ·c·b·N·f²',
    ],
    solver: { exact: true, lowerBound: null, nodes: rowsTried, coreGroups: cut.groups.length },
  });
  // Replace the linear model's agent stage with the measured one and re-check the budgets.
  const fx = fixedStages(p, cut, p.server.fMax);
  const eAgent = row.joules ?? p.agent.kappa * sharedCycles(p, cut, bits) * hz * hz;
  res.delay = { agent: row.medianS, link: fx.linkT, server: fx.serverT, total: row.medianS + fx.linkT + fx.serverT };
  res.energy = { agent: eAgent, link: fx.linkE, server: fx.serverE, total: eAgent + fx.linkE + (p.energyScope === 'total' ? fx.serverE : 0) };
  res.slack = { delay: p.T0 - res.delay.total, energy: p.E0 - res.energy.total, tightness: res.slack?.tightness ?? null };
  res.violations = res.violations.filter((v) => !v.startsWith('deadline') && !v.startsWith('energy') && !v.startsWith('agent clock'));
  res.feasible = res.violations.length === 0;
  // What stops the next larger bit-width: its fastest measured row breaks the deadline and/or the budget.
  const binding = new Set<string>();
  const higher = p.bits.filter((b) => b > bits);
  if (higher.length === 0) binding.add('bits-max');
  for (const b of higher) {
    const r = tableRow(dp, b, measuredClocks(dp).length ? hz : null);
    if (!r) continue;
    const e = r.joules ?? p.agent.kappa * sharedCycles(p, cut, b) * hz * hz;
    res.nextStep ??= { group: cut.groups.map((g) => g.name).join('+'), fromBits: bits, toBits: b, agentDelay: r.medianS, agentEnergy: e, agentHz: hz, availDelay: p.T0 - fx.linkT - fx.serverT, availEnergy: p.E0 - fx.linkE };
    if (r.medianS + fx.linkT + fx.serverT > p.T0 * (1 + FEAS_TOL)) binding.add('deadline');
    if (e + fx.linkE + (p.energyScope === 'total' ? fx.serverE : 0) > p.E0 * (1 + FEAS_TOL)) binding.add('energy');
  }
  res.binding = [...binding];
  return { ...res, delayModel: 'measured-table', measuredRow: row };
}
