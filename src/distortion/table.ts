/** The human-readable table printed by `coquant distortion` without --json. */
import type { DistortionDocument } from '../documents/distortion-document.ts';

const sci = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v === 0 ? '0' : v.toExponential(3));
const pct = (v: number | undefined) => (v === undefined ? '—' : `${(100 * v).toFixed(1)}%`);

export function formatTable(doc: DistortionDocument): string {
  const lines: string[] = [];
  lines.push(`model ${doc.model.path}: ${doc.model.weights} weight tensors, ${doc.model.params} parameters, mean|w| ${sci(doc.model.meanAbs)}`);
  lines.push(`inputs ${doc.inputs.source}; output '${doc.output}'; full-precision cache ${doc.run.fpCache}`);
  if (doc.fullPrecision?.cerVsLabels !== undefined) {
    lines.push(`full precision vs labels: CER ${pct(doc.fullPrecision.cerVsLabels)}, exact match ${pct(doc.fullPrecision.accuracy)}`);
  }
  for (const c of doc.configs) {
    lines.push('');
    lines.push(c.config);
    const head = ['bits', 'D_p', 'D_o', 'α·D_p', 'relL2', 'CER vs FP', 'CER vs labels', 'exact'];
    const rows = c.points.map((p) => [
      String(p.bits),
      sci(p.Dp),
      sci(p.Do),
      sci(c.fit.alpha * p.Dp),
      p.relL2 === null ? '—' : p.relL2.toFixed(4),
      pct(p.quality?.cerVsFp),
      pct(p.quality?.cerVsLabels),
      pct(p.quality?.accuracy),
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const fmt = (r: string[]) => r.map((x, i) => x.padStart(widths[i])).join('  ');
    lines.push(fmt(head));
    for (const r of rows) lines.push(fmt(r));
    lines.push(`fit D_o ≈ α·D_p: α = ${sci(c.fit.alpha)}, R² = ${c.fit.r2.toFixed(4)} (uncentred ${c.fit.r2Uncentered.toFixed(4)}), worst relative error ${c.fit.maxRelErr.toFixed(3)} over ${c.fit.n} bit-widths`);
    if (c.fit.alphaMax !== undefined) lines.push(`paper's α (largest measured D_o/D_p${c.fit.alphaMaxBits !== undefined ? `, at ${c.fit.alphaMaxBits} bits` : ''}) = ${sci(c.fit.alphaMax)}`);
  }
  lines.push('');
  lines.push(`${doc.run.seconds.toFixed(1)} s with ${doc.run.threads} onnxruntime threads`);
  return lines.join('\n') + '\n';
}
