/**
 * zod schemas for the KServe v2 / Open Inference Protocol JSON documents. They check the
 * structure only; datatype/shape/data consistency is checked by the codec, which knows sizes.
 */
import { z } from 'zod';
import { DATATYPES } from './datatypes.ts';

const parameterValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export const parametersSchema = z.record(z.string(), parameterValue);

const shapeSchema = z.array(z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)).max(64);

export const requestInputSchema = z.object({
  name: z.string().min(1),
  shape: shapeSchema,
  datatype: z.enum(DATATYPES),
  parameters: parametersSchema.optional(),
  data: z.unknown().optional(),
});

export const requestOutputSchema = z.object({
  name: z.string().min(1),
  parameters: parametersSchema.optional(),
});

export const inferRequestSchema = z.object({
  id: z.string().optional(),
  parameters: parametersSchema.optional(),
  inputs: z.array(requestInputSchema).min(1),
  outputs: z.array(requestOutputSchema).optional(),
});
export type InferRequestHeader = z.infer<typeof inferRequestSchema>;

export const responseOutputSchema = z.object({
  name: z.string(),
  shape: shapeSchema,
  datatype: z.enum(DATATYPES),
  parameters: parametersSchema.optional(),
  data: z.unknown().optional(),
});

export const inferResponseSchema = z.object({
  model_name: z.string(),
  model_version: z.string().optional(),
  id: z.string().optional(),
  parameters: parametersSchema.optional(),
  outputs: z.array(responseOutputSchema),
});
export type InferResponseHeader = z.infer<typeof inferResponseSchema>;

const tensorMetaSchema = z.object({
  name: z.string(),
  datatype: z.string(),
  shape: z.array(z.number().int()),
});
export type TensorMetadata = { name: string; datatype: string; shape: number[] };

export const modelMetadataSchema = z.object({
  name: z.string(),
  versions: z.array(z.string()).optional(),
  platform: z.string(),
  inputs: z.array(tensorMetaSchema),
  outputs: z.array(tensorMetaSchema),
});
export type ModelMetadata = z.infer<typeof modelMetadataSchema>;

export const serverMetadataSchema = z.object({
  name: z.string(),
  version: z.string(),
  extensions: z.array(z.string()),
});
export type ServerMetadata = z.infer<typeof serverMetadataSchema>;

export const errorBodySchema = z.object({ error: z.string() });

/** First zod issue as one line: "inputs[0].shape[1]: expected number". */
export function describeZodError(err: z.ZodError): string {
  const issue = err.issues[0];
  if (!issue) return 'invalid document';
  const path = issue.path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
  return `${path || '(root)'}: ${issue.message}`;
}
