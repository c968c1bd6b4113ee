/** The profile figures for the demo report, rendered with the profile command's own plot specs. */
import { join } from 'node:path';
import { distortionSpec, magnitudeHistogramSpec } from '../../profile/plots.ts';
import type { ProfileDocument } from '../../documents/profile-document.ts';
import { renderVegaLiteSvg } from '../../report/render-svg.ts';
import { writeFileAtomic } from '../../util/atomic-write.ts';

export async function profilePlots(doc: ProfileDocument, out: string): Promise<Record<string, string>> {
  const fig2 = 'fig2-magnitudes.svg';
  const fig3p = 'fig3-parameter-distortion.svg';
  await writeFileAtomic(join(out, fig2), await renderVegaLiteSvg(magnitudeHistogramSpec(doc)));
  await writeFileAtomic(join(out, fig3p), await renderVegaLiteSvg(distortionSpec(doc)));
  return { fig2, fig3p };
}
