/**
 * Runtime schema of the `coquant.profile/1` document (zod), for commands and scripts that read a
 * profile from disk and want a one-line error instead of a crash on a malformed file.
 * `z.toJSONSchema(profileDocumentSchema)` gives the JSON Schema documented in docs/profile-json.md.
 */
import { z } from 'zod';

const num = z.number();
/** JSON has no Infinity: λ of an all-zero group serialises as null. */
const lambda = z.number().nullable();

export const profileGroupSchema = z.object({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.string(),
  params: z.number().int().positive(),
  meanAbs: num,
  maxAbs: num,
  std: num,
  lambda,
  ks: num.min(0).max(1),
  ksBound: num.min(0).optional(),
});

export const profileDistortionSchema = z.object({
  scope: z.string(),
  family: z.enum(['uniform-symmetric', 'uniform-asymmetric', 'pot', 'fp8-e4m3', 'fp8-e5m2']),
  granularity: z.string().regex(/^(tensor|channel|group\d+)$/),
  range: z.enum(['absmax', 'clip-l1', 'clip-mse']),
  bits: z.number().int().min(2).max(16),
  l1: num.min(0),
  mse: num.min(0),
  relL1: num.min(0),
});

export const profileDocumentSchema = z.object({
  schema: z.literal('coquant.profile/1'),
  model: z.object({ path: z.string(), format: z.enum(['onnx', 'safetensors']), selection: z.enum(['weights', 'all-float']), weights: z.literal('synthetic').optional() }),
  totals: z.object({ params: z.number().int().positive(), groups: z.number().int().positive(), meanAbs: num, maxAbs: num, std: num, lambda, ks: num.min(0).max(1), ksBound: num.min(0).optional() }),
  groups: z.array(profileGroupSchema),
  distortion: z.array(profileDistortionSchema),
  configs: z.array(z.string()).optional(),
  bits: z.array(z.number().int()).optional(),
  magnitudeHistogram: z.object({ edges: z.array(num), counts: z.array(num), overflow: num }).optional(),
  run: z.record(z.string(), z.unknown()).optional(),
});
