/**
 * The `coquant.device/1` document that `coquant calibrate` writes (docs/calibrate.md): its
 * type, its zod schema, and reading it. The planner's use of it is plan/device-profile.ts.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { CoquantError } from '../errors.ts';
import { stringifyDocument } from './json-numbers.ts';

const num = z.number().finite();
const posNum = num.positive();

export const deviceRowSchema = z
  .object({
    /** fp32, fake, qdq-int8 or int4 (MatMulNBits). */
    format: z.string().min(1),
    bits: z.number().int().min(1).max(32),
    /** Clock the row was measured at; null = whatever the OS chose (no clock control). */
    hz: posNum.nullable(),
    medianS: posNum,
    p10S: posNum,
    p90S: posNum,
    madS: num.nonnegative(),
    /** Half-width of the median's 95% confidence interval, relative to the median. */
    ciHalfRel: num.nonnegative(),
    /** Energy per inference from the power meter's counter; null = no meter. */
    joules: posNum.nullable(),
    reps: z.number().int().positive(),
    stop: z.enum(['stable', 'max-reps', 'time-cap']),
  })
  .strict();

const fitQuality = z.object({ cyclesPerParamBit: num, t0: num, r2: num, maxRelErr: num.nonnegative() }).strict();

export const deviceProfileSchema = z
  .object({
    schema: z.literal('coquant.device/1'),
    name: z.string().min(1),
    createdAt: z.string(),
    host: z
      .object({
        cpuModel: z.string(),
        cores: z.number().int().positive(),
        platform: z.string(),
        arch: z.string(),
        /** The clock the CPU reported during the run (Hz); the fit's f when clocks are not controlled. */
        nominalHz: posNum.nullable(),
        intraOpThreads: z.number().int().positive(),
      })
      .strict(),
    measured: z
      .object({
        clockControl: z.boolean(),
        powerMeter: z.boolean(),
        dvfs: z.string().nullable(),
        meter: z.string().nullable(),
        /** Plain statements of what could not be measured, and why. */
        notes: z.array(z.string()),
      })
      .strict(),
    subModel: z
      .object({
        source: z.string(),
        headAt: z.string().nullable(),
        /** Weight parameters of the measured sub-model (N in c·b·N). */
        params: z.number().int().positive(),
        inputs: z.string(),
      })
      .strict(),
    rows: z.array(deviceRowSchema).min(1),
    fit: z
      .object({
        model: z.string(),
        /** Formats whose rows entered the fit (fake runs float kernels and is left out). */
        formats: z.array(z.string()),
        /** Pure model T = c·b·N/f, least squares through the origin. */
        cyclesPerParamBit: posNum,
        /** Fixed overhead of the affine model T = t0 + c'·b·N/f. */
        t0: num,
        kappa: posNum.nullable(),
        r2: num,
        maxRelErr: num.nonnegative(),
        affine: fitQuality,
        heldOut: z
          .object({
            method: z.string(),
            points: z.array(
              z
                .object({ format: z.string(), bits: z.number().int(), hz: posNum.nullable(), measuredS: posNum, pureS: num, affineS: num, pureRelErr: num, affineRelErr: num })
                .strict(),
            ),
            pureMaxRelErr: num.nullable(),
            affineMaxRelErr: num.nullable(),
            pureMeanRelErr: num.nullable(),
            affineMeanRelErr: num.nullable(),
          })
          .strict(),
      })
      .strict()
      .nullable(),
  })
  .strict();

export type DeviceRow = z.infer<typeof deviceRowSchema>;
export type DeviceProfile = z.infer<typeof deviceProfileSchema>;

/** Validates a parsed document; the error names the first wrong field. */
export function parseDeviceProfile(doc: unknown, where: string): DeviceProfile {
  const r = deviceProfileSchema.safeParse(doc);
  if (!r.success) {
    const i = r.error.issues[0]!;
    const path = i.path.length ? i.path.join('.') : '(top level)';
    throw new CoquantError('E_DEVICE_PROFILE', `${where}: not a valid coquant.device/1 profile: ${path}: ${i.message}`, {
      hint: 'create one with: coquant calibrate --out device.json',
    });
  }
  return r.data;
}

export async function readDeviceProfile(path: string): Promise<DeviceProfile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CoquantError('E_NOT_FOUND', `device profile ${path}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? 'error'})`}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new CoquantError('E_DEVICE_PROFILE', `${path}: not valid JSON (${(e as Error).message})`);
  }
  return parseDeviceProfile(doc, path);
}

/** The document as written to disk (non-finite numbers encoded, trailing newline). */
export function serializeDeviceProfile(doc: DeviceProfile): string {
  return stringifyDocument(doc);
}
