/**
 * Seeded synthetic scenes with a known foreground, for salient-object / background-removal
 * segmentation (ISNet). A scene is a smooth background (a linear gradient with faint stripes)
 * and one foreground object: a few overlapping shapes (ellipses, rounded rectangles, stars)
 * in saturated solid or gradient fills and a bold word, all rendered with DejaVu fonts from npm.
 *
 * The scene is described once (`sceneSpec`, a pure function of the seed) and drawn twice as
 * SVG: in colour for the image, and with every foreground element white on black for the mask,
 * so the ground truth is exactly what was drawn (thresholded at half coverage on anti-aliased
 * edges). The same seed gives the same pixels on any machine with the same package versions.
 */
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { CoquantError } from '../errors.ts';
import { mulberry32 } from '../util/rng.ts';
import { dejavuFontDir } from './text-lines.ts';

type Rand = () => number;

export type SceneShape =
  | { kind: 'ellipse'; cx: number; cy: number; rx: number; ry: number; rotate: number; fill: Fill }
  | { kind: 'rect'; x: number; y: number; w: number; h: number; r: number; rotate: number; fill: Fill }
  | { kind: 'star'; points: Array<[number, number]>; fill: Fill };

export type Fill = { kind: 'solid'; color: string } | { kind: 'gradient'; from: string; to: string; angle: number };

export interface SceneText {
  text: string;
  x: number;
  y: number;
  size: number;
  family: string;
  color: string;
}

/** Everything that is drawn, in scene units where the image is 1 × 1 (scaled to the render size). */
export interface SceneSpec {
  seed: number;
  background: { from: string; to: string; angle: number; stripes: Array<{ y: number; h: number; color: string; opacity: number }> };
  shapes: SceneShape[];
  text: SceneText;
}

export interface Scene {
  spec: SceneSpec;
  size: number;
  /** Interleaved RGB, row-major (HWC). */
  rgb: Uint8Array;
  /** 1 where the foreground was drawn, 0 elsewhere, row-major. */
  mask: Uint8Array;
  /** PNG of the colour image, for users to look at. */
  png: Buffer;
}

const WORDS = ['ROBOT', 'EXIT', 'DOCK', 'LAB', 'STOP', 'CARGO', 'GATE', 'BAY', 'HOME', 'TOOL'];
const MUTED = ['#c9c3b6', '#a9b4be', '#d8d2c4', '#8f9aa3', '#b7c1a8', '#e2dccf', '#9fa8b2', '#c4b8a8'];
const VIVID = ['#d62828', '#f77f00', '#2a9d8f', '#264653', '#6a4c93', '#1982c4', '#8ac926', '#ff595e', '#3a0ca3', '#e76f51'];
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const between = (r: Rand, lo: number, hi: number) => lo + (hi - lo) * r();
const round = (v: number) => Math.round(v * 1e4) / 1e4;

function fill(r: Rand): Fill {
  return r() < 0.6 ? { kind: 'solid', color: pick(r, VIVID) } : { kind: 'gradient', from: pick(r, VIVID), to: pick(r, VIVID), angle: Math.round(between(r, 0, 180)) };
}

/** The scene for a seed: a pure function (no I/O), so a seed names a scene. */
export function sceneSpec(seed: number): SceneSpec {
  const r = mulberry32(seed >>> 0);
  const stripes = Array.from({ length: Math.floor(between(r, 0, 4)) }, () => ({ y: round(r()), h: round(between(r, 0.02, 0.08)), color: pick(r, MUTED), opacity: round(between(r, 0.1, 0.3)) }));
  const background = { from: pick(r, MUTED), to: pick(r, MUTED), angle: Math.round(between(r, 0, 180)), stripes };
  // One object near the centre: its parts overlap so the foreground is one salient region.
  const cx = between(r, 0.38, 0.62);
  const cy = between(r, 0.38, 0.62);
  const scale = between(r, 0.16, 0.3);
  const shapes: SceneShape[] = [];
  const parts = 1 + Math.floor(between(r, 0, 3));
  for (let i = 0; i < parts; i++) {
    const ox = round(cx + (i === 0 ? 0 : between(r, -0.6, 0.6) * scale));
    const oy = round(cy + (i === 0 ? 0 : between(r, -0.6, 0.6) * scale));
    const s = scale * (i === 0 ? 1 : between(r, 0.4, 0.8));
    const kind = pick(r, ['ellipse', 'rect', 'star'] as const);
    if (kind === 'ellipse') shapes.push({ kind, cx: ox, cy: oy, rx: round(s * between(r, 0.7, 1.2)), ry: round(s * between(r, 0.7, 1.2)), rotate: Math.round(between(r, 0, 180)), fill: fill(r) });
    else if (kind === 'rect') {
      const w = s * between(r, 1.2, 2), h = s * between(r, 1.2, 2);
      shapes.push({ kind, x: round(ox - w / 2), y: round(oy - h / 2), w: round(w), h: round(h), r: round(s * between(r, 0, 0.3)), rotate: Math.round(between(r, -30, 30)), fill: fill(r) });
    } else {
      const n = 5 + Math.floor(between(r, 0, 4));
      const inner = between(r, 0.45, 0.7);
      const phase = between(r, 0, Math.PI);
      const points: Array<[number, number]> = [];
      for (let k = 0; k < 2 * n; k++) {
        const a = phase + (Math.PI * k) / n;
        const rad = s * 1.2 * (k % 2 === 0 ? 1 : inner);
        points.push([round(ox + rad * Math.cos(a)), round(oy + rad * Math.sin(a))]);
      }
      shapes.push({ kind, points, fill: fill(r) });
    }
  }
  const word = pick(r, WORDS);
  const size = round(between(r, 0.07, 0.11));
  const text: SceneText = {
    text: word,
    // Below or above the object, overlapping its edge, so it is part of the same foreground.
    x: round(Math.max(0.05, cx - (word.length * size * 0.34))),
    y: round(Math.min(0.95, Math.max(0.12, cy + (r() < 0.5 ? 1 : -0.75) * scale * 1.05 + size * 0.35))),
    size,
    family: pick(r, ['DejaVu Sans', 'DejaVu Serif', 'DejaVu Sans Mono']),
    color: pick(r, VIVID),
  };
  return { seed, background, shapes, text };
}

const gradientDef = (id: string, from: string, to: string, angle: number) => {
  const a = (angle * Math.PI) / 180;
  const dx = round(Math.cos(a) / 2), dy = round(Math.sin(a) / 2);
  return `<linearGradient id="${id}" x1="${0.5 - dx}" y1="${0.5 - dy}" x2="${0.5 + dx}" y2="${0.5 + dy}"><stop offset="0" stop-color="${from}"/><stop offset="1" stop-color="${to}"/></linearGradient>`;
};

/** The scene as SVG at `size` pixels: in colour (`image`), or foreground white on black (`mask`). */
export function sceneSvg(spec: SceneSpec, size: number, mode: 'image' | 'mask'): string {
  const S = (v: number) => round(v * size);
  const defs: string[] = [];
  const paint = (f: Fill, id: string): string => {
    if (mode === 'mask') return '#ffffff';
    if (f.kind === 'solid') return f.color;
    defs.push(gradientDef(id, f.from, f.to, f.angle));
    return `url(#${id})`;
  };
  const body: string[] = [];
  if (mode === 'image') {
    defs.push(gradientDef('bg', spec.background.from, spec.background.to, spec.background.angle));
    body.push(`<rect width="${size}" height="${size}" fill="url(#bg)"/>`);
    for (const s of spec.background.stripes) body.push(`<rect x="0" y="${S(s.y)}" width="${size}" height="${S(s.h)}" fill="${s.color}" fill-opacity="${s.opacity}"/>`);
  } else body.push(`<rect width="${size}" height="${size}" fill="#000000"/>`);
  spec.shapes.forEach((sh, i) => {
    const p = paint(sh.fill, `f${i}`);
    if (sh.kind === 'ellipse') body.push(`<ellipse cx="${S(sh.cx)}" cy="${S(sh.cy)}" rx="${S(sh.rx)}" ry="${S(sh.ry)}" transform="rotate(${sh.rotate} ${S(sh.cx)} ${S(sh.cy)})" fill="${p}"/>`);
    else if (sh.kind === 'rect') body.push(`<rect x="${S(sh.x)}" y="${S(sh.y)}" width="${S(sh.w)}" height="${S(sh.h)}" rx="${S(sh.r)}" transform="rotate(${sh.rotate} ${S(sh.x + sh.w / 2)} ${S(sh.y + sh.h / 2)})" fill="${p}"/>`);
    else body.push(`<polygon points="${sh.points.map(([x, y]) => `${S(x)},${S(y)}`).join(' ')}" fill="${p}"/>`);
  });
  const t = spec.text;
  body.push(`<text x="${S(t.x)}" y="${S(t.y)}" font-family="${t.family}" font-weight="bold" font-size="${S(t.size)}" fill="${mode === 'mask' ? '#ffffff' : t.color}">${t.text}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}"><defs>${defs.join('')}</defs>${body.join('')}</svg>`;
}

const FONT_FILES = ['DejaVuSans-Bold.ttf', 'DejaVuSerif-Bold.ttf', 'DejaVuSansMono-Bold.ttf'];

function rasterize(svg: string): { rgba: Uint8Array; png: () => Buffer } {
  const fontDir = dejavuFontDir();
  const r = new Resvg(svg, { font: { fontFiles: FONT_FILES.map((f) => join(fontDir, f)), loadSystemFonts: false, defaultFontFamily: 'DejaVu Sans' } });
  const img = r.render();
  return { rgba: new Uint8Array(img.pixels.buffer, img.pixels.byteOffset, img.pixels.byteLength), png: () => img.asPng() };
}

/** Renders the scene for `seed` at `size` × `size` pixels, with its foreground mask. */
export function renderScene(seed: number, size: number): Scene {
  if (!Number.isInteger(size) || size < 32 || size > 4096) throw new CoquantError('E_SCENE_SIZE', `cannot render a ${size}-pixel scene; choose 32..4096`);
  const spec = sceneSpec(seed);
  const image = rasterize(sceneSvg(spec, size, 'image'));
  const maskImg = rasterize(sceneSvg(spec, size, 'mask'));
  const n = size * size;
  const rgb = new Uint8Array(n * 3);
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    rgb[3 * i] = image.rgba[4 * i];
    rgb[3 * i + 1] = image.rgba[4 * i + 1];
    rgb[3 * i + 2] = image.rgba[4 * i + 2];
    mask[i] = maskImg.rgba[4 * i] >= 128 ? 1 : 0;
  }
  return { spec, size, rgb, mask, png: image.png() };
}

/**
 * A binary mask as a run-length string `rle:<w>x<h>:<runs>`: run lengths in row-major order,
 * alternating 0s and 1s and starting with 0s (COCO's uncompressed RLE order, row-major here).
 * Task labels are strings, so ground-truth masks travel in this form.
 */
export function encodeMaskRle(mask: ArrayLike<number>, width: number, height: number): string {
  if (mask.length !== width * height) throw new CoquantError('E_MASK_SIZE', `mask has ${mask.length} pixels, expected ${width}×${height}`);
  const runs: number[] = [];
  let cur = 0;
  let len = 0;
  for (let i = 0; i < mask.length; i++) {
    const v = mask[i] ? 1 : 0;
    if (v === cur) len++;
    else {
      runs.push(len);
      cur = v;
      len = 1;
    }
  }
  runs.push(len);
  return `rle:${width}x${height}:${runs.join(',')}`;
}

export function decodeMaskRle(s: string): { mask: Uint8Array; width: number; height: number } {
  const m = /^rle:(\d+)x(\d+):([\d,]*)$/.exec(s);
  if (!m) throw new CoquantError('E_MASK_RLE', `not a run-length mask: '${s.slice(0, 40)}'`, { hint: 'labels for segmentation are rle:<w>x<h>:<runs> strings' });
  const width = Number(m[1]), height = Number(m[2]);
  const mask = new Uint8Array(width * height);
  let at = 0;
  let v = 0;
  for (const r of m[3] ? m[3].split(',') : []) {
    const n = Number(r);
    if (at + n > mask.length) throw new CoquantError('E_MASK_RLE', `run-length mask runs past ${width}×${height} pixels`);
    if (v) mask.fill(1, at, at + n);
    at += n;
    v ^= 1;
  }
  if (at !== mask.length) throw new CoquantError('E_MASK_RLE', `run-length mask covers ${at} of ${width}×${height} pixels`);
  return { mask, width, height };
}
