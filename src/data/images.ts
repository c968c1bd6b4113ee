/**
 * Image loading and model-specific preprocessing, through sharp. Presets follow PaddleOCR's
 * own inference code so the bundled models see the inputs they were trained on:
 *  - `ppocr-rec`: height 48, width = ceil(48·w/h) (at least 320 for the batch, as PaddleOCR's
 *    max_wh_ratio starts at 320/48), capped at `maxWidth`; values (x/255 − 0.5)/0.5; images
 *    narrower than the batch width are right-padded with 0 (mid-grey after normalisation).
 *  - `ppocr-det`: longest side limited to `limitSide` (960), each side rounded to a multiple
 *    of 32; values (x/255 − mean)/std with the ImageNet mean/std.
 * Both use BGR channel order, as PaddleOCR reads images with OpenCV. Output is NCHW float32.
 */
import type sharpType from 'sharp';

/** sharp loads libvips (~0.15 s); only commands that read images pay for it. */
let sharpModule: typeof sharpType | undefined;
async function sharp(...args: Parameters<typeof sharpType>): Promise<ReturnType<typeof sharpType>> {
  sharpModule ??= (await import('sharp')).default;
  return sharpModule(...args);
}
import { CoquantError } from '../errors.ts';
import type { HostTensor } from './tensor.ts';

export interface RgbImage {
  width: number;
  height: number;
  /** Interleaved RGB bytes, row-major (HWC). */
  data: Uint8Array;
}

/** Decodes PNG/JPEG (anything sharp reads) to 8-bit RGB, dropping alpha over white. */
export async function loadRgb(src: string | Buffer): Promise<RgbImage> {
  const where = typeof src === 'string' ? src : '<buffer>';
  try {
    const { data, info } = await (await sharp(src)).flatten({ background: '#ffffff' }).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (e) {
    throw new CoquantError('E_IMAGE', `cannot decode image ${where}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`, {
      hint: 'calibration images must be PNG or JPEG files',
      cause: e,
    });
  }
}

async function resizeRgb(img: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (img.width === width && img.height === height) return img;
  const { data, info } = await (
    await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), {
      raw: { width: img.width, height: img.height, channels: 3 },
    })
  )
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

export type ChannelOrder = 'bgr' | 'rgb';

/** Writes one HWC image into a CHW float slice, normalised per channel as (x/255 − mean[c]) / std[c]. */
function writeChw(
  img: RgbImage,
  out: Float32Array,
  offset: number,
  planeW: number,
  planeH: number,
  mean: readonly number[],
  std: readonly number[],
  order: ChannelOrder,
): void {
  const plane = planeW * planeH;
  for (let c = 0; c < 3; c++) {
    const src = order === 'bgr' ? 2 - c : c;
    const m = mean[c];
    const s = std[c];
    for (let y = 0; y < img.height; y++) {
      const row = offset + c * plane + y * planeW;
      for (let x = 0; x < img.width; x++) out[row + x] = (img.data[(y * img.width + x) * 3 + src] / 255 - m) / s;
    }
  }
}

export interface RecPresetOptions {
  height?: number;
  /** The smallest batch width (PaddleOCR: 320). */
  minWidth?: number;
  /** Wider lines are squeezed to this width. */
  maxWidth?: number;
  channelOrder?: ChannelOrder;
}

/** PP-OCR recognition preprocessing of a batch of text-line images → [B, 3, 48, W]. */
export async function preprocessRec(images: readonly RgbImage[], opts: RecPresetOptions = {}): Promise<HostTensor> {
  const H = opts.height ?? 48;
  const minW = opts.minWidth ?? 320;
  const maxW = opts.maxWidth ?? 1600;
  const order = opts.channelOrder ?? 'bgr';
  if (images.length === 0) throw new CoquantError('E_NO_INPUTS', 'no images to preprocess');
  const widths = images.map((im) => Math.min(maxW, Math.max(1, Math.ceil((H * im.width) / im.height))));
  const W = Math.min(maxW, Math.max(minW, ...widths));
  const out = new Float32Array(images.length * 3 * H * W); // zeros = padding
  for (let b = 0; b < images.length; b++) {
    const resized = await resizeRgb(images[b], Math.min(W, widths[b]), H);
    writeChw(resized, out, b * 3 * H * W, W, H, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5], order);
  }
  return { type: 'float32', data: out, dims: [images.length, 3, H, W] };
}

export interface DetPresetOptions {
  limitSide?: number;
  channelOrder?: ChannelOrder;
}

/** PP-OCR detection preprocessing of one image → [1, 3, H32, W32]. */
export async function preprocessDet(image: RgbImage, opts: DetPresetOptions = {}): Promise<HostTensor> {
  const limit = opts.limitSide ?? 960;
  const ratio = Math.max(image.width, image.height) > limit ? limit / Math.max(image.width, image.height) : 1;
  const round32 = (v: number) => Math.max(32, Math.round((v * ratio) / 32) * 32);
  const W = round32(image.width);
  const H = round32(image.height);
  const resized = await resizeRgb(image, W, H);
  const out = new Float32Array(3 * H * W);
  writeChw(resized, out, 0, W, H, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225], opts.channelOrder ?? 'bgr');
  return { type: 'float32', data: out, dims: [1, 3, H, W] };
}

export type ImagePreset = 'ppocr-rec' | 'ppocr-det';
