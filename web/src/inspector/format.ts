/** Number formats of the inspector pages: pure, the same in both languages so figures compare with the API's. */

/** A share 0…1 as a percentage with one decimal: 0.71902 → "71.9%". Null / NaN → "—". */
export function formatShare(share: number | null | undefined, digits = 1): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return '—';
  return `${(share * 100).toFixed(digits)}%`;
}

/** A whole count with thousands separators: 12345 → "12,345". */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return Math.round(n).toLocaleString('en-US');
}

/** Seconds → minutes with one decimal. */
export function minutesOf(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  return (seconds / 60).toFixed(1);
}

/** Equal-width bins of `values` weighted by `weights` (people per route): [{from, to, total}]. */
export function histogram(values: number[], weights: number[], binWidth: number): { from: number; to: number; total: number }[] {
  if (!values.length) return [];
  const max = Math.max(...values);
  const n = Math.max(1, Math.floor(max / binWidth) + 1);
  const bins = Array.from({ length: n }, (_, i) => ({ from: i * binWidth, to: (i + 1) * binWidth, total: 0 }));
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) return;
    const k = Math.min(n - 1, Math.max(0, Math.floor(v / binWidth)));
    bins[k].total += weights[i] ?? 1;
  });
  return bins;
}

/** A bin width that gives at most ~12 bars: 1, 2, 5, 10, 15, 30 … minutes. */
export function niceBinWidth(max: number, bars = 12): number {
  for (const w of [1, 2, 5, 10, 15, 30, 60]) if (max / w <= bars) return w;
  return 120;
}
