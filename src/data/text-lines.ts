/**
 * Labelled text-line images with known strings, the ground truth for OCR quality. Fonts come
 * from the dejavu-fonts-ttf npm package and system fonts are never loaded, so the same seed
 * renders the same pixels on any machine with the same package versions.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { mulberry32 } from '../util/rng.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { CoquantError } from '../errors.ts';

/** Label file written next to rendered lines; `labels` maps a file name to its text. */
export interface LabelsDocument {
  schema: 'coquant.labels/1';
  seed?: number;
  labels: Record<string, string>;
}

export interface RenderedLine {
  /** File name (also the key in the labels document), e.g. `line-003.png`. */
  file: string;
  text: string;
  font: string;
  png: Buffer;
  width: number;
  height: number;
}

/** Fonts used, by file name in node_modules/dejavu-fonts-ttf/ttf, with the family name the file declares. */
const FONTS: ReadonlyArray<{ file: string; family: string; weight: 'normal' | 'bold' }> = [
  { file: 'DejaVuSans.ttf', family: 'DejaVu Sans', weight: 'normal' },
  { file: 'DejaVuSans-Bold.ttf', family: 'DejaVu Sans', weight: 'bold' },
  { file: 'DejaVuSansCondensed.ttf', family: 'DejaVu Sans Condensed', weight: 'normal' },
  { file: 'DejaVuSerif.ttf', family: 'DejaVu Serif', weight: 'normal' },
  { file: 'DejaVuSansMono.ttf', family: 'DejaVu Sans Mono', weight: 'normal' },
];

export function dejavuFontDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
  } catch {
    return join(process.cwd(), 'node_modules', 'dejavu-fonts-ttf', 'ttf');
  }
}

const UPPER = 'ABCDEFGHJKLMNPRSTUVWXYZ';
type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const digit = (r: Rand) => String(Math.floor(r() * 10));
const num = (r: Rand, lo: number, hi: number) => String(lo + Math.floor(r() * (hi - lo + 1)));
const letter = (r: Rand) => pick(r, UPPER.split(''));

/** Sign-like strings: ASCII letters, digits and simple punctuation, all in ppocr_keys_v1.txt. */
const TEMPLATES: ReadonlyArray<(r: Rand) => string> = [
  (r) => `EXIT ${num(r, 1, 9)}`,
  (r) => `Dock ${letter(r)}-${num(r, 1, 24)}`,
  (r) => `Lab ${num(r, 1, 9)} ->`,
  () => 'NO ENTRY',
  (r) => `Room ${num(r, 100, 499)}`,
  (r) => `Gate ${letter(r)}${digit(r)}`,
  (r) => `Floor ${num(r, 1, 12)}`,
  (r) => `Bay ${num(r, 1, 40)}`,
  (r) => `Zone ${letter(r)}`,
  (r) => `Aisle ${num(r, 1, 30)}`,
  (r) => `Charging ${num(r, 1, 8)}`,
  (r) => `Elevator ${letter(r)}`,
  () => 'WET FLOOR',
  (r) => `Office ${num(r, 100, 399)}`,
  (r) => `Storage ${letter(r)}${num(r, 10, 99)}`,
  (r) => `Max ${num(r, 5, 30)} km/h`,
  (r) => `Door ${num(r, 1, 20)}.${digit(r)}`,
  (r) => `Exit: ${letter(r)}`,
  () => 'Keep Left',
  (r) => `<- Ward ${num(r, 1, 9)}`,
  (r) => `Tel ${num(r, 200, 999)}-${num(r, 1000, 9999)}`,
  (r) => `#${num(r, 10, 99)} Pick Up`,
];

/** The strings `renderTextLines` would draw for a seed (cheap; no rendering). */
export function textLineStrings(count: number, seed: number): string[] {
  const r = mulberry32(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(pick(r, TEMPLATES)(r));
  return out;
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export interface RenderTextLinesOptions {
  count: number;
  seed: number;
  /** When set, PNGs and labels.json are written there. */
  outDir?: string;
  /** Canvas height in pixels (the rec preset rescales to 48 anyway). */
  height?: number;
}

export async function renderTextLines(opts: RenderTextLinesOptions): Promise<{ lines: RenderedLine[]; labelsPath?: string }> {
  const { count, seed } = opts;
  if (!Number.isInteger(count) || count < 1 || count > 10_000) {
    throw new CoquantError('E_RENDER_COUNT', `cannot render ${count} text lines; choose 1..10000`);
  }
  const height = opts.height ?? 64;
  const fontDir = dejavuFontDir();
  const texts = textLineStrings(count, seed);
  // Style choices draw from a second stream so that adding a template does not restyle every line.
  const r = mulberry32((seed ^ 0x5bd1e995) >>> 0);
  const fontFiles = FONTS.map((f) => join(fontDir, f.file));
  const lines: RenderedLine[] = [];
  for (let i = 0; i < count; i++) {
    const font = pick(r, FONTS);
    const size = Math.round(height * (0.55 + 0.15 * r()));
    const ink = pick(r, ['#000000', '#1a1a1a', '#202a44', '#3b1010']);
    const paper = pick(r, ['#ffffff', '#f4f1e6', '#e9eef2', '#fdf6c8']);
    const x = 6 + Math.floor(r() * 10);
    const baseline = Math.round(height / 2 + size * 0.36);
    const text = texts[i];
    const svgFor = (w: number) =>
      `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${height}" viewBox="0 0 ${w} ${height}">` +
      `<text x="${x}" y="${baseline}" font-family="${font.family}" font-weight="${font.weight}" font-size="${size}" fill="${ink}">${escapeXml(text)}</text></svg>`;
    const renderOpts = { font: { fontFiles, loadSystemFonts: false, defaultFontFamily: 'DejaVu Sans' }, background: paper };
    const probe = new Resvg(svgFor(Math.ceil(size * text.length * 1.2 + 2 * x + 20)), renderOpts);
    const bbox = probe.getBBox();
    const width = Math.max(height, Math.ceil((bbox ? bbox.x + bbox.width : size * text.length * 0.6) + x));
    const png = new Resvg(svgFor(width), renderOpts).render().asPng();
    lines.push({ file: `line-${String(i).padStart(3, '0')}.png`, text, font: font.file, png, width, height });
  }
  let labelsPath: string | undefined;
  if (opts.outDir) {
    for (const l of lines) await writeFileAtomic(join(opts.outDir, l.file), l.png);
    const doc: LabelsDocument = { schema: 'coquant.labels/1', seed, labels: Object.fromEntries(lines.map((l) => [l.file, l.text])) };
    labelsPath = join(opts.outDir, 'labels.json');
    await writeFileAtomic(labelsPath, JSON.stringify(doc, null, 2) + '\n');
  }
  return { lines, labelsPath };
}
