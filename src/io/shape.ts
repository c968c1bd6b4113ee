/** Element count of a shape (1 for a scalar), or undefined when it is not a safe integer. */
export function shapeSize(shape: readonly number[]): number | undefined {
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (!Number.isSafeInteger(n)) return undefined;
  }
  return n;
}
