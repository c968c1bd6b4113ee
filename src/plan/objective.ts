/**
 * What the planner minimises, per weight group, for the two objectives and the two upper bounds
 * (issue 10). With w_g = α_g·N_g/N and R = b − 1 (one bit is the sign):
 *   du,  ours   w_g · 2^(1−b)/λ_g                      (SPEC §4, our default)
 *   du,  paper  w_g · D^U(b − 1; λ_g)                  (the paper's Eq. 26)
 *   gap, ours   w_g · (2^(1−b) − 2^(−b))/λ_g = w_g·2^(−b)/λ_g
 *   gap, paper  w_g · (D^U(b − 1) − D^L(b − 1))        (the paper's P1 objective, Eqs. 24 and 26)
 * Every one of them falls with b and is convex in b, so the shared-bit problem is "the largest b
 * that fits" and the per-group problem is a convex multiple-choice knapsack (test/plan/paper-p1.test.ts
 * checks both properties on b = 2..32). The paper's D^U is infinite at b = 1 (rate 0), so with the
 * paper's bound b = 1 is never chosen.
 */
import { groupDL, groupDU, paperGroupDU, type BoundKind } from '../theory/rd-bounds.ts';

export type Objective = 'du' | 'gap';
export type EnergyScope = 'agent' | 'total';


/** D_U of one parameter at b bits under the chosen bound (units of the weight, before α·N_g/N). */
export function unitDU(bound: BoundKind, b: number, lambda: number): number {
  return bound === 'paper' ? paperGroupDU(b, lambda) : groupDU(b, lambda);
}

/** D_L of one parameter at b bits: 2^(−b)/λ, which is also the paper's D^L(b − 1) (Eq. 24). */
export function unitDL(b: number, lambda: number): number {
  return groupDL(b, lambda);
}

/** The per-parameter objective at b bits. */
export function unitObjective(objective: Objective, bound: BoundKind, b: number, lambda: number): number {
  if (objective === 'du') return unitDU(bound, b, lambda);
  // gap: D^U − D^L; with our bound that is exactly D_L, computed without the subtraction.
  return bound === 'paper' ? paperGroupDU(b, lambda) - groupDL(b, lambda) : groupDL(b, lambda);
}

/**
 * d/db of `unitObjective` (for the relaxation's water-filling). With R = b − 1 and t = 1/(2^R − 1):
 * dD^U/dR = −ln2·t(1 + t)/(λ√(1 + 4t)) (Eq. 26 differentiated), dD_U/db = −ln2·D_U, dD_L/db = −ln2·D_L.
 */
export function unitObjectiveSlope(objective: Objective, bound: BoundKind, b: number, lambda: number): number {
  const dl = -Math.LN2 * groupDL(b, lambda);
  if (bound === 'ours') return objective === 'du' ? 2 * dl : dl;
  const R = b - 1;
  if (!(R > 0)) return -Infinity;
  const t = 1 / Math.expm1(R * Math.LN2);
  const du = (-Math.LN2 * t * (1 + t)) / (lambda * Math.sqrt(1 + 4 * t));
  return objective === 'du' ? du : du - dl;
}

/** Per-group tightness gap α·(D_U − D_L) at b bits (what `epsilon` limits), under the chosen bound. */
export function unitGap(bound: BoundKind, alpha: number, b: number, lambda: number): number {
  return alpha * unitObjective('gap', bound, b, lambda);
}

/** Human label of an objective under a bound, for summaries and plots. */
export function objectiveLabel(objective: Objective, bound: BoundKind): string {
  const du = bound === 'paper' ? "D^U (the paper's Eq. 26)" : 'D_U (ours, SPEC §4)';
  return objective === 'du' ? du : `${bound === 'paper' ? 'D^U − D^L' : 'D_U − D_L'} (${bound === 'paper' ? "the paper's P1 objective" : 'our bounds'})`;
}
