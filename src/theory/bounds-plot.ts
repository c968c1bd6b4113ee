/**
 * The paper's Fig. 4 as a vega-lite spec: D_L(R) and D_U(R) against the magnitude rate, with each
 * measured quantizer at its fixed rate (R = b − 1, circles) and entropy-coded rate (squares).
 */
import type { TopLevelSpec } from 'vega-lite';
import { boundCurves, type BoundsReport } from './bounds-report.ts';

export function fig4Spec(r: BoundsReport, title?: string): TopLevelSpec {
  const curves = boundCurves(r.model.lambdaEff).flatMap((c) => [
    { rate: c.rate, D: c.DL, curve: 'D_L (Shannon lower bound)' },
    { rate: c.rate, D: c.DU, curve: 'D_U (test channel)' },
  ]);
  const points: { rate: number; D: number; quantizer: string; kind: string; bits: number }[] = [];
  for (const q of r.quantizers) {
    for (const p of q.points) {
      if (!(p.Dp > 0)) continue; // log scale: exact reconstructions cannot be drawn
      points.push({ rate: p.fixedRate, D: p.Dp, quantizer: q.label, kind: 'fixed rate b−1', bits: p.bits });
      if (p.entropyRate !== undefined) points.push({ rate: p.entropyRate, D: p.Dp, quantizer: q.label, kind: 'entropy-coded rate', bits: p.bits });
    }
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: title ?? `Rate-distortion bounds and measured quantizers (mean|w| = ${r.model.meanAbs.toPrecision(3)})`,
    width: 560,
    config: { legend: { labelLimit: 0 } },
    height: 380,
    layer: [
      {
        data: { values: curves },
        mark: { type: 'line', strokeWidth: 2 },
        encoding: {
          x: { field: 'rate', type: 'quantitative', title: 'magnitude rate R (bits/parameter)' },
          y: { field: 'D', type: 'quantitative', scale: { type: 'log' }, title: 'parameter distortion mean|w − Q(w)|' },
          strokeDash: { field: 'curve', type: 'nominal', title: 'bound' },
          color: { value: '#444' },
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
  } as TopLevelSpec;
}
