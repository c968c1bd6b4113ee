/**
 * What this CPU's instruction set means for onnxruntime's int8 kernels. On x86-64 without an
 * int8 dot-product instruction (VNNI: `avx512_vnni`, `avx_vnni`, or AMX), onnxruntime computes
 * uint8 × int8 products with VPMADDUBSW, which adds pairs of products into a saturating int16:
 * 255 · 127 · 2 = 64,770 overflows it. With full-range (±127) weights that clips real sums, and
 * on PP-OCRv4 rec it raised the character error rate from under 2 to 10.6 points on an AMD EPYC
 * with AVX2 only. 7-bit weights (±63) keep every pair within int16. Arm's dot-product
 * instructions accumulate in 32 bits, so nothing saturates there.
 */
import { readFileSync } from 'node:fs';

let cached: boolean | undefined;

/** The CPU flags line of /proc/cpuinfo, or undefined when it cannot be read (not Linux). */
function cpuFlags(): string[] | undefined {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => /^flags\s*:/.test(l));
    return line?.split(':')[1]!.trim().split(/\s+/);
  } catch {
    return undefined;
  }
}

/**
 * Whether onnxruntime's uint8 × int8 products can saturate on this machine. `flags` (for tests)
 * stands for the CPU's flags; unknown flags on x86-64 count as saturating, the safe answer.
 */
export function u8s8Saturates(arch: string = process.arch, flags: string[] | undefined = arch === 'x64' ? cpuFlags() : undefined): boolean {
  if (arch !== 'x64' && arch !== 'ia32') return false;
  if (!flags) return true;
  return !flags.some((f) => f === 'avx512_vnni' || f === 'avx_vnni' || f === 'amx_int8');
}

/** u8s8Saturates for this process's CPU, read once. */
export function hostU8s8Saturates(): boolean {
  cached ??= u8s8Saturates();
  return cached;
}
