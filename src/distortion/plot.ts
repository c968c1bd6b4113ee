/**
 * Figure 3 of the paper, our version: measured D_o and the fitted α·D_p against bit-width,
 * log-scale y, one colour per quantizer config. Returns a vega-lite spec (render with
 * src/report/render-svg.ts).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { DistortionConfigResult } from '../documents/distortion-document.ts';

export function figure3Spec(configs: readonly DistortionConfigResult[], title: string): TopLevelSpec {
  const values: { bits: number; value: number; series: string; config: string }[] = [];
  for (const c of configs) {
    for (const p of c.points) {
      if (p.Do !== null && p.Do > 0) values.push({ bits: p.bits, value: p.Do, series: 'D_o (measured)', config: c.config });
      const est = c.fit.alpha * p.Dp;
      if (est > 0) values.push({ bits: p.bits, value: est, series: 'α·D_p (fit)', config: c.config });
    }
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 520,
    height: 320,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'bits', type: 'quantitative', title: 'bit-width b', scale: { zero: false }, axis: { tickMinStep: 1 } },
      y: { field: 'value', type: 'quantitative', title: 'output distortion (mean |y − ŷ|)', scale: { type: 'log' }, axis: { format: '.0e' } },
      color: { field: 'config', type: 'nominal', title: 'quantizer', legend: { labelLimit: 400 } },
      strokeDash: { field: 'series', type: 'nominal', title: 'series' },
      shape: { field: 'series', type: 'nominal', title: 'series' },
    },
    config: { font: 'DejaVu Sans' },
  };
}
