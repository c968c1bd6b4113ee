/** Public quantizer API: fake quantization, configs and their parsing, and the kernels profile fuses. */
export type { QuantConfig, QuantResult, QuantFamily, Granularity, RangeRule } from './types.ts';
export { configLabel } from './types.ts';
export { fakeQuantize, type FakeQuantizeOptions } from './fake-quantize.ts';
export { QuantConfigError, NonFiniteValueError } from './errors.ts';
export { FAMILIES, MIN_BITS, MAX_BITS, isFp8, effectiveBits, validateConfig, assertAllFinite } from './validate.ts';
export { parseQuantSpec, parseQuantConfig, parseBits, parseFamily, parseGranularity, parseRangeRule, RANGE_RULES, type QuantSpec } from './spec.ts';
export { levelParams, quantizeOne, codeOne, levelOfCode, type LevelParams } from './levels.ts';
export { errorSums, errorSumsMany, type Values } from './error-kernels.ts';
export { chooseLevels, sliceBounds, clipCandidates, type ChosenLevels } from './range-search.ts';
export { forEachSlice, sliceLength } from './slices.ts';
export { E4M3, E5M2, roundToFp8, encodeFp8, decodeFp8, type Fp8Format } from './fp8-format.ts';
