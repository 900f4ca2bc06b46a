/** The benchmarks' quantile: the `q`-th of `xs` sorted (nearest rank, rounding down); NaN when `xs` is empty. */
export function quantile(xs: readonly number[], q: number): number {
  return xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!
}
