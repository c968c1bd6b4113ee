/**
 * The paper's Fig. 4 as a vega-lite spec: against the magnitude rate, the four curves D_L(R)
 * (Shannon lower bound, = the paper's D^L), D_BA(R) (Blahut–Arimoto), D_U(R) (ours) and the
 * paper's D^U(R), with each measured quantizer at its fixed rate (R = b − 1, circles) and
 * entropy-coded rate (squares). The headline bound (`report.bound.headline`) is drawn thicker.
 */
import type { TopLevelSpec } from 'vega-lite';
import { boundCurves, type BoundsReport } from './bounds-report.ts';

export const FIG4_CURVES = {
  DL: 'D_L = paper D^L (Shannon lower bound)',
  BA: 'D_BA (Blahut–Arimoto, true D(R))',
  ours: 'D_U ours (exponential test channel)',
  paper: 'D^U paper (Laplacian test channel)',
} as const;

export function fig4Spec(r: BoundsReport, title?: string): TopLevelSpec {
  const headline = r.bound?.headline ?? 'ours';
  const width = (curve: string) => (curve === FIG4_CURVES[headline] ? 3 : 1.5);
  const curves: { rate: number; D: number; curve: string; w: number }[] = [];
  const push = (rate: number, D: number, curve: string) => {
    if (Number.isFinite(D) && D > 0) curves.push({ rate, D, curve, w: width(curve) });
  };
  for (const c of boundCurves(r.model.lambdaEff)) {
    push(c.rate, c.DL, FIG4_CURVES.DL);
    push(c.rate, c.DU, FIG4_CURVES.ours);
    push(c.rate, c.DUPaper, FIG4_CURVES.paper); // infinite at R = 0, so it starts at R = 0.25
  }
  for (const p of r.model.ba?.rows ?? []) push(p.rate, p.D, FIG4_CURVES.BA);
  const points: { rate: number; D: number; quantizer: string; kind: string; bits: number }[] = [];
  for (const q of r.quantizers) {
    for (const p of q.points) {
      if (!(p.Dp > 0)) continue; // log scale: exact reconstructions cannot be drawn
      points.push({ rate: p.fixedRate, D: p.Dp, quantizer: q.label, kind: 'fixed rate b−1', bits: p.bits });
      if (p.entropyRate !== undefined) points.push({ rate: p.entropyRate, D: p.Dp, quantizer: q.label, kind: 'entropy-coded rate', bits: p.bits });
    }
  }
  const domain = [FIG4_CURVES.DL, FIG4_CURVES.BA, FIG4_CURVES.ours, FIG4_CURVES.paper];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title:
      title ??
      `Rate-distortion bounds and measured quantizers (mean|w| = ${r.model.meanAbs.toPrecision(3)}; headline bound: ${headline === 'paper' ? "the paper's D^U" : 'ours'})`,
    width: 560,
    config: { legend: { labelLimit: 0 } },
    height: 380,
    layer: [
      {
        data: { values: curves },
        mark: { type: 'line' },
        encoding: {
          x: { field: 'rate', type: 'quantitative', title: 'magnitude rate R (bits/parameter)' },
          y: { field: 'D', type: 'quantitative', scale: { type: 'log' }, title: 'parameter distortion mean|w − Q(w)|' },
          strokeDash: {
            field: 'curve',
            type: 'nominal',
            scale: { domain, range: [[1, 0], [2, 2], [8, 4], [6, 2, 1, 2]] },
            legend: null, // the colour legend names the curves
          },
          strokeWidth: { field: 'w', type: 'quantitative', scale: null, legend: null },
          color: { field: 'curve', type: 'nominal', title: 'curve', scale: { domain, range: ['#222222', '#d95f02', '#1b6fb3', '#b3246b'] } },
        },
      },
      {
        data: { values: points },
        mark: { type: 'point', size: 70, filled: true },
        encoding: {
          x: { field: 'rate', type: 'quantitative' },
          y: { field: 'D', type: 'quantitative', scale: { type: 'log' } },
          color: { field: 'quantizer', type: 'nominal', title: 'quantizer' },
          shape: { field: 'kind', type: 'nominal', title: 'rate', scale: { domain: ['fixed rate b−1', 'entropy-coded rate'], range: ['circle', 'square'] } },
          tooltip: [{ field: 'quantizer' }, { field: 'bits' }, { field: 'rate' }, { field: 'D' }],
        },
      },
    ],
    // Curves and quantizers each get their own colour legend.
    resolve: { scale: { color: 'independent' } },
  } as TopLevelSpec;
}
