/** The plain-text summary `coquant profile` prints: model totals, per-group statistics, distortion per bit-width. */
import type { ProfileDocument } from '../documents/profile-document.ts';

function fmt(x: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(4) : x.toExponential(2);
}

function table(rows: string[][]): string {
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((s, c) => (c === 0 ? s.padEnd(w[c]) : s.padStart(w[c]))).join('  ')).join('\n');
}

export function renderTable(doc: ProfileDocument): string {
  const t = doc.totals;
  const out: string[] = [];
  out.push(`${doc.model.path} (${doc.model.format}, ${doc.model.selection})`);
  out.push(`model: ${t.params.toLocaleString('en-US')} params in ${t.groups} groups, mean|w| ${fmt(t.meanAbs)}, max|w| ${fmt(t.maxAbs)}, std ${fmt(t.std)}, λ ${fmt(t.lambda)}, KS ${fmt(t.ks)}${t.ksBound ? ` ±${fmt(t.ksBound)}` : ''}`);
  out.push('');
  out.push(table([['group', 'shape', 'params', 'mean|w|', 'max|w|', 'std', 'λ', 'KS'], ...doc.groups.map((g) => [g.name, `[${g.shape.join('x')}]`, String(g.params), fmt(g.meanAbs), fmt(g.maxAbs), fmt(g.std), fmt(g.lambda), fmt(g.ks)])]));
  out.push('');
  const model = doc.distortion.filter((d) => d.scope === 'model');
  const bits = [...new Set(model.map((d) => d.bits))].sort((a, b) => a - b);
  const labels = [...new Set(model.map((d) => `${d.family}/${d.granularity}/${d.range}`))];
  out.push('model-level relative L1 distortion (mean|w − Q(w)| / mean|w|):');
  out.push(
    table([
      ['quantizer', ...bits.map((b) => `${b}b`)],
      ...labels.map((l) => [l, ...bits.map((b) => {
        const d = model.find((x) => `${x.family}/${x.granularity}/${x.range}` === l && x.bits === b);
        return d ? fmt(d.relL1) : '-';
      })]),
    ]),
  );
  return out.join('\n');
}
