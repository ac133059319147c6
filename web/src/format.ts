import type { TFunction } from 'i18next';

export function formatDistance(t: TFunction, m: number | null | undefined): string {
  if (m === null || m === undefined || !Number.isFinite(m)) return '—';
  if (m < 1000) return t('resident.meters', { count: Math.round(m) });
  return t('resident.km', { value: (m / 1000).toFixed(1) });
}

export function roundMinutes(min: number | null | undefined): number | null {
  if (min === null || min === undefined || !Number.isFinite(min)) return null;
  return Math.max(1, Math.ceil(min));
}
