/** The benchmarks' statistics: quantiles of samples (the nearest-rank kind), and the median. */

/**
 * The `q` quantile of `xs` (0 ≤ q ≤ 1): the sample at rank ⌊q·n⌋ of the sorted samples, the last for q = 1; NaN
 * when there are no samples (the soak's quiet intervals), which prints as such instead of throwing.
 */
export const quantile = (xs: readonly number[], q: number): number =>
  xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!

export const median = (xs: readonly number[]): number => quantile(xs, 0.5)
