/**
 * The comparison table of docs/theory.md: at b = 2..8 (R = b − 1), λ = 1, the paper's D^U, our
 * D_U, D_BA (Blahut–Arimoto, with its certified interval), the closed-form D(R) and D_L.
 * Regenerate with `npx tsx src/theory/bounds-table.ts [resolution]` (default 256 cells per D_L).
 */
import { pathToFileURL } from 'node:url';
import { baAtRate } from './blahut-arimoto.ts';
import { groupDL, groupDU, paperGroupDU, rateDExact } from './rd-bounds.ts';

export interface BoundsTableRow {
  bits: number;
  rate: number;
  DUPaper: number;
  DU: number;
  DBA: number;
  /** Interval that contains the continuous D(R) (solver gap and discretisation). */
  DBALo: number;
  DBAHi: number;
  Dexact: number;
  DL: number;
  /** Cells of the BA grid and BA solves the rate search took. */
  cells: number;
  solves: number;
}

export function boundsComparisonTable(bits: readonly number[] = [2, 3, 4, 5, 6, 7, 8], resolution = 256, lambda = 1): BoundsTableRow[] {
  return bits.map((b) => {
    const ba = baAtRate(b - 1, { lambda, resolution });
    return {
      bits: b,
      rate: b - 1,
      DUPaper: paperGroupDU(b, lambda),
      DU: groupDU(b, lambda),
      DBA: ba.D,
      DBALo: ba.continuous[0],
      DBAHi: ba.continuous[1],
      Dexact: rateDExact(b - 1, lambda),
      DL: groupDL(b, lambda),
      cells: ba.point.grid.cells,
      solves: ba.solves,
    };
  });
}

/** The table as Markdown (units of 1/λ). */
export function boundsTableMarkdown(rows: readonly BoundsTableRow[]): string {
  const f = (x: number) => x.toPrecision(5);
  const out = [
    '| b | R | D^U (paper) | D_U (ours) | D_BA | D(R) in [lo, hi] | D(R) closed form | D_L | D_U/D_BA | D^U/D_BA |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    out.push(
      `| ${r.bits} | ${r.rate} | ${f(r.DUPaper)} | ${f(r.DU)} | ${f(r.DBA)} | [${f(r.DBALo)}, ${f(r.DBAHi)}] | ${f(r.Dexact)} | ${f(r.DL)} | ${(r.DU / r.DBA).toFixed(3)} | ${(r.DUPaper / r.DBA).toFixed(3)} |`,
    );
  }
  return out.join('\n') + '\n';
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const resolution = process.argv[2] ? Number(process.argv[2]) : 256;
  const t0 = performance.now();
  const rows = boundsComparisonTable(undefined, resolution);
  process.stdout.write(boundsTableMarkdown(rows));
  process.stdout.write(`\nresolution ${resolution} cells per D_L(R); ${rows.map((r) => r.cells).join('/')} cells; ${((performance.now() - t0) / 1000).toFixed(2)} s\n`);
}
