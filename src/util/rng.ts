/**
 * Small seeded PRNG (xorshift128+ over 32-bit halves is overkill here; mulberry32 is enough
 * for reproducible test inputs and synthetic weights). Every random input coquant generates
 * goes through this, so a documented seed reproduces it exactly.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples by Box-Muller from a uniform source. */
export function gaussian(rand: () => number): () => number {
  return () => {
    const u = 1 - rand();
    const v = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

/** Laplace(0, b) samples: the shape real weight magnitudes roughly follow (SPEC §4). */
export function laplace(rand: () => number, b: number): () => number {
  return () => {
    const u = rand() - 0.5;
    return -b * Math.sign(u) * Math.log(1 - 2 * Math.abs(u));
  };
}
