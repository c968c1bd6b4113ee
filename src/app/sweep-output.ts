/**
 * Writes a sweep to disk: sweep.csv and sweep.json (the table), and the Figure 5-8-style plots
 * du-vs-T0.svg, du-vs-E0.svg, bits-vs-T0.svg, bits-vs-E0.svg rendered with vega-lite (and, with the
 * gap objective, gap-vs-T0.svg and gap-vs-E0.svg: the quantity the paper's P1 minimises).
 */
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { renderVegaLiteSvg } from '../report/render-svg.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import type { Axis, MethodStats, SweepRow } from '../plan/sweep.ts';

const COLUMNS: Array<keyof SweepRow> = ['axis', 'T0', 'E0', 'method', 'feasible', 'DU', 'DL', 'bits', 'bitsMin', 'bitsMax', 'agentHz', 'delay', 'energy', 'duRatio', 'violations'];

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: SweepRow[]): string {
  return [COLUMNS.join(','), ...rows.map((r) => COLUMNS.map((c) => csvCell(r[c])).join(','))].join('\n') + '\n';
}

export interface PlotLabels {
  /** Name of the upper bound on the y axis, e.g. "D_U (ours)" or "D^U (paper, Eq. 26)". */
  bound: string;
  /** Preset or system, for the title. */
  system?: string;
}

function spec(rows: SweepRow[], axis: Axis, y: 'DU' | 'bits' | 'objective', fixed: string, labels: PlotLabels): TopLevelSpec {
  const data = rows.filter((r) => r.axis === axis).map((r) => ({ x: axis === 'T0' ? r.T0 : r.E0, y: r[y], method: r.method, status: r.feasible ? 'meets T0 and E0' : 'breaks a constraint' }));
  const xTitle = axis === 'T0' ? 'deadline T0 (s)' : 'energy budget E0 (J)';
  const yTitle = y === 'DU' ? `distortion upper bound ${labels.bound} (lower is better)` : y === 'objective' ? "gap D^U − D^L (the paper's P1 objective; lower is better)" : 'agent bit-width (mean over parameters)';
  const enc = {
    x: { field: 'x', type: 'quantitative' as const, title: xTitle },
    y: { field: 'y', type: 'quantitative' as const, title: yTitle, scale: y === 'bits' ? { zero: false } : { type: 'log' as const } },
    color: { field: 'method', type: 'nominal' as const, title: 'method' },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `${y === 'DU' ? labels.bound : y === 'objective' ? 'gap' : 'bit-width'} vs ${axis} (${fixed}${labels.system ? `, ${labels.system}` : ''}); crosses: plans that break a constraint`, fontSize: 12 },
    width: 520,
    height: 300,
    background: 'white',
    data: { values: data.filter((d) => d.y !== null) },
    layer: [
      { transform: [{ filter: "datum.status === 'meets T0 and E0'" }], mark: { type: 'line', point: true, strokeWidth: 1.5 }, encoding: enc },
      { transform: [{ filter: "datum.status !== 'meets T0 and E0'" }], mark: { type: 'point', shape: 'cross', size: 60, filled: true }, encoding: enc },
    ],
  } as TopLevelSpec;
}

export interface SweepFiles {
  csv: string;
  json: string;
  plots: string[];
}

export async function writeSweepOutputs(dir: string, rows: SweepRow[], stats: MethodStats[], meta: Record<string, unknown>, measured?: Array<Record<string, unknown>>): Promise<SweepFiles> {
  const csv = join(dir, 'sweep.csv');
  const json = join(dir, 'sweep.json');
  await writeFileAtomic(csv, toCsv(rows));
  await writeFileAtomic(json, `${JSON.stringify({ schema: 'coquant.sweep/1', ...meta, stats, rows, ...(measured ? { measured } : {}) }, null, 2)}\n`);
  const plots: string[] = [];
  const fixedE0 = `E0 = ${meta.E0} J`;
  const fixedT0 = `T0 = ${meta.T0} s`;
  const labels: PlotLabels = { bound: meta.bound === 'paper' ? 'D^U (paper, Eq. 26)' : 'D_U (ours)', ...(typeof meta.preset === 'string' ? { system: meta.preset } : {}) };
  const ys = meta.objective === 'gap' ? (['DU', 'bits', 'objective'] as const) : (['DU', 'bits'] as const);
  for (const [axis, fixed] of [['T0', fixedE0], ['E0', fixedT0]] as const) {
    if (!rows.some((r) => r.axis === axis)) continue;
    for (const y of ys) {
      const file = join(dir, `${y === 'DU' ? 'du' : y === 'objective' ? 'gap' : 'bits'}-vs-${axis}.svg`);
      await writeFileAtomic(file, await renderVegaLiteSvg(spec(rows, axis, y, fixed, labels)));
      plots.push(file);
    }
  }
  return { csv, json, plots };
}
