/** The plain-text table `coquant bounds` prints. */
import type { BoundsReport } from '../theory/bounds-report.ts';

const e3 = (x: number) => (x === 0 ? '0' : x.toExponential(3));

export function boundsTable(r: BoundsReport, showGroups = false): string {
  const lines: string[] = [];
  lines.push(`coquant bounds — ${r.source.kind} ${r.source.path}`);
  lines.push(`${r.model.params} parameters in ${r.model.groups} groups; mean|w| = ${e3(r.model.meanAbs)}, λ_eff = ${r.model.lambdaEff.toPrecision(4)}` + (r.model.ksWeighted !== null ? `, KS (param-weighted) = ${r.model.ksWeighted.toFixed(3)}` : ''));
  lines.push(r.alpha.note);
  const paper = r.bound.headline === 'paper';
  lines.push(
    paper
      ? "Headline bound: the paper's D^U (Eq. 26, Laplacian test channel); ours, D_U = 2^(−R)/λ, beside it. D_L is also the paper's D^L (Eq. 24)."
      : "Headline bound: ours, D_U = 2^(−R)/λ (exponential test channel); the paper's D^U (Eq. 26) beside it. D_L is also the paper's D^L (Eq. 24).",
  );
  lines.push('D_BA: the true D(R) by Blahut–Arimoto (— beyond R = 8); the ratio columns and rates below use the headline bound.');
  lines.push('');
  const withAlpha = r.alpha.source === 'distortion';
  const mark = (name: string, on: boolean) => (on ? `${name}*` : name);
  lines.push(
    [
      '  b',
      '  R',
      'D_L'.padStart(10),
      'D_BA'.padStart(10),
      mark('D_U ours', !paper).padStart(10),
      mark('D^U paper', paper).padStart(10),
      'gap*'.padStart(10),
      ...(withAlpha ? ['α·D_L'.padStart(10), 'α·D_U*'.padStart(10)] : []),
    ].join('  '),
  );
  for (const row of r.model.rows) {
    lines.push(
      [
        String(row.bits).padStart(3),
        String(row.rate).padStart(3),
        e3(row.DL).padStart(10),
        (row.DBA !== null ? e3(row.DBA) : '—').padStart(10),
        e3(row.DU).padStart(10),
        e3(row.DUPaper).padStart(10),
        e3(paper ? row.gapPaper : row.gap).padStart(10),
        ...(withAlpha ? [e3(row.outDL).padStart(10), e3(paper ? row.outDUPaper : row.outDU).padStart(10)] : []),
      ].join('  '),
    );
  }
  lines.push('* headline bound');
  if (r.quantizers.length > 0) {
    lines.push('');
    const w = Math.max(9, ...r.quantizers.map((q) => q.label.length));
    const U = paper ? 'D^U' : 'D_U';
    lines.push(
      ['quantizer'.padEnd(w), '  b', 'D_p'.padStart(10), `D_p/${U}`.padStart(8), 'bits lost'.padStart(9), 'R_L(D_p)'.padStart(8), `R_U(D_p)`.padStart(8), 'R fixed'.padStart(7), 'R entropy'.padStart(9)].join('  '),
    );
    for (const q of r.quantizers) {
      for (const p of q.points) {
        lines.push(
          [
            q.label.padEnd(w),
            String(p.bits).padStart(3),
            e3(p.Dp).padStart(10),
            (paper ? p.inefficiencyPaper : p.inefficiency).toFixed(2).padStart(8),
            (paper ? p.bitsLostPaper : p.bitsLost).toFixed(2).padStart(9),
            p.RL.toFixed(2).padStart(8),
            (paper ? p.RUPaper : p.RU).toFixed(2).padStart(8),
            String(p.fixedRate).padStart(7),
            (p.entropyRate !== undefined ? p.entropyRate.toFixed(2) : '—').padStart(9),
          ].join('  ') + (p.belowDL ? '  (below D_L)' : ''),
        );
      }
    }
  }
  if (showGroups) {
    lines.push('');
    const w = Math.max(5, ...r.groups.map((g) => g.name.length));
    const i4 = r.groups[0]?.bits.indexOf(4) ?? -1;
    const i8 = r.groups[0]?.bits.indexOf(8) ?? -1;
    lines.push(['group'.padEnd(w), 'params'.padStart(10), 'λ'.padStart(10), 'KS'.padStart(6), 'D_U(4)'.padStart(10), 'D_U(8)'.padStart(10)].join('  '));
    for (const g of r.groups) {
      lines.push([g.name.padEnd(w), String(g.params).padStart(10), g.lambda.toPrecision(4).padStart(10), (g.ks !== null ? g.ks.toFixed(3) : '—').padStart(6), (i4 >= 0 ? e3(g.DU[i4]) : '—').padStart(10), (i8 >= 0 ? e3(g.DU[i8]) : '—').padStart(10)].join('  '));
    }
  }
  if (r.fc && 'rows' in r.fc) {
    lines.push('');
    lines.push(`FC bound (SPEC §3), widths ${r.fc.widths.join('→')}, max over ${r.fc.inputs} random unit inputs (seed ${r.fc.seed}):`);
    const w = Math.max(9, ...r.fc.rows.map((x) => x.quantizer.length));
    lines.push(['quantizer'.padEnd(w), '  b', 'measured'.padStart(10), 'bound'.padStart(10), 'L1 bound'.padStart(10), 'meas/bound'.padStart(10)].join('  '));
    for (const x of r.fc.rows) lines.push([x.quantizer.padEnd(w), String(x.bits).padStart(3), e3(x.measuredMax).padStart(10), e3(x.bound).padStart(10), e3(x.boundL1).padStart(10), x.tightness.toFixed(3).padStart(10)].join('  '));
  }
  if (r.recommendations.length > 0) {
    lines.push('');
    for (const s of r.recommendations) lines.push(`• ${s}`);
  }
  return lines.join('\n') + '\n';
}
