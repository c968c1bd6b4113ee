/**
 * The profile's two figures as vega-lite specs: the magnitude histogram with the fitted
 * exponential density (the paper's Fig. 2), and model-level parameter distortion against
 * bit-width per quantizer on a log scale (the parameter half of its Fig. 3).
 */
import type { TopLevelSpec } from 'vega-lite';
import { exponentialDensity } from '../theory/exponential.ts';
import type { ProfileDocument } from '../documents/profile-document.ts';

export function magnitudeHistogramSpec(doc: ProfileDocument): TopLevelSpec {
  const h = doc.magnitudeHistogram!;
  const n = doc.totals.params;
  const rows = h.counts.map((c, k) => {
    const width = h.edges[k + 1] - h.edges[k];
    const mid = (h.edges[k] + h.edges[k + 1]) / 2;
    return { lo: h.edges[k], hi: h.edges[k + 1], mid, density: c / (n * width), fit: exponentialDensity(doc.totals.lambda, mid) };
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Parameter magnitudes |w| and fitted exponential', subtitle: `λ = ${doc.totals.lambda.toPrecision(4)}, KS = ${doc.totals.ks.toFixed(4)}, ${n.toLocaleString('en-US')} weights` },
    width: 520,
    height: 300,
    data: { values: rows },
    layer: [
      { mark: { type: 'rect', color: '#9ecae1' }, encoding: { x: { field: 'lo', type: 'quantitative', title: '|w|' }, x2: { field: 'hi' }, y: { field: 'density', type: 'quantitative', title: 'density' } } },
      { mark: { type: 'line', color: '#d62728', strokeWidth: 2 }, encoding: { x: { field: 'mid', type: 'quantitative' }, y: { field: 'fit', type: 'quantitative' } } },
    ],
  };
}

export function distortionSpec(doc: ProfileDocument): TopLevelSpec {
  const rows = doc.distortion
    .filter((d) => d.scope === 'model' && d.l1 > 0)
    .map((d) => ({ bits: d.bits, l1: d.l1, quantizer: `${d.family}/${d.granularity}/${d.range}` }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Parameter distortion D_p = mean |w − Q(w)| against bit-width', subtitle: 'model level, log scale' },
    width: 520,
    height: 320,
    data: { values: rows },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'bits', type: 'quantitative', title: 'bit-width b', scale: { domain: [Math.min(...rows.map((r) => r.bits)), Math.max(...rows.map((r) => r.bits))] } },
      y: { field: 'l1', type: 'quantitative', title: 'D_p (L1)', scale: { type: 'log' } },
      color: { field: 'quantizer', type: 'nominal', title: 'quantizer' },
    },
  };
}
