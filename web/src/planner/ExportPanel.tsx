/** Exports: GeoJSON and CSV of every result layer, the assignments CSV, the sign schedule, posters by community. */
import { useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Feature, FeatureCollection } from 'geojson';
import { centerOf, RESULT_LAYERS, signsCsvUrl, type ResultLayer, type SiteListItem } from './api.ts';
import type { Results } from './results.ts';

const esc = (v: unknown) => {
  const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
/** CSV text (RFC 4180, CRLF-free) with a BOM so spreadsheet programs read the Chinese names right. */
export function toCsv(header: string[], rows: unknown[][]): string {
  return '\ufeff' + [header, ...rows].map((r) => r.map(esc).join(',')).join('\n') + '\n';
}

/** A result layer as CSV: every property, plus a representative lon/lat. */
export function layerCsv(fc: FeatureCollection): string {
  const keys: string[] = [];
  for (const f of fc.features) for (const k of Object.keys(f.properties ?? {})) if (!keys.includes(k)) keys.push(k);
  const rows = fc.features.map((f) => {
    const [lon, lat] = centerOf(f.geometry);
    return [f.id ?? '', ...keys.map((k) => f.properties?.[k]), lon.toFixed(7), lat.toFixed(7)];
  });
  return toCsv(['feature_id', ...keys, 'lon', 'lat'], rows);
}

/** One row per building of the plan: its site, distance and minutes, or why it is not placed. */
export function assignmentsCsv(results: Results, sites: SiteListItem[]): string {
  const siteName = new Map(sites.map((s) => [s.id, s.name]));
  for (const c of results.plan?.coverage?.sites ?? []) if (!siteName.has(c.id)) siteName.set(c.id, c.name);
  const community = new Map(results.communities.map((c) => [c.id, c.name]));
  const rows = (results.data.plan_buildings?.features ?? []).map((f: Feature) => {
    const p = f.properties ?? {};
    const b = results.buildings.get(Number(p.building_id));
    return [
      p.plan_id, p.building_id, b?.name ?? '', b?.communityId ? (community.get(b.communityId) ?? '') : '', p.population,
      p.site_id ?? '', p.site_id ? (siteName.get(Number(p.site_id)) ?? '') : '',
      p.distance_m === null || p.distance_m === undefined ? '' : Math.round(Number(p.distance_m)), p.minutes ?? '', p.split ? 'yes' : '', p.reason ?? '',
    ];
  });
  return toCsv(['plan_id', 'building_id', 'building', 'community', 'population', 'site_id', 'site', 'distance_m', 'minutes', 'split', 'unplaced_reason'], rows);
}

function useObjectUrl(content: string | null, type: string): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (content === null || typeof URL.createObjectURL !== 'function') return setUrl(null);
    const u = URL.createObjectURL(new Blob([content], { type }));
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [content, type]);
  return url;
}

function Download({ content, type, name, label }: { content: string | null; type: string; name: string; label: string }) {
  const url = useObjectUrl(content, type);
  return url ? (
    <a className="btn small" href={url} download={name}>
      {label}
    </a>
  ) : (
    <span className="btn small" aria-disabled="true">
      {label}
    </span>
  );
}

export function ExportPanel({
  results,
  sites,
  printCommunity,
}: {
  results: Results | null;
  sites: SiteListItem[];
  printCommunity: (communityId: number, name: string) => void;
}) {
  const { t } = useTranslation();
  const id = useId();
  const plan = results?.plan ?? null;
  const [community, setCommunity] = useState<number | ''>('');
  if (!results || !plan) return <p className="meta">{results ? t('pl.plan.none') : t('pl.loading')}</p>;
  const pid = plan.id;
  const perCommunity = (cid: number) =>
    (results.data.plan_buildings?.features ?? []).filter((f) => results.buildings.get(Number(f.properties?.building_id))?.communityId === cid).length;
  return (
    <section className="pl-panel" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('pl.export.heading', { id: pid })}</h2>
      <table className="pl-table" data-testid="export-table">
        <thead>
          <tr>
            <th scope="col">{t('pl.export.layer')}</th>
            <th scope="col">{t('pl.export.features')}</th>
            <th scope="col">{t('pl.export.files')}</th>
          </tr>
        </thead>
        <tbody>
          {RESULT_LAYERS.map((l: ResultLayer) => {
            const fc = results.data[l];
            return (
              <tr key={l}>
                <th scope="row">{t(`pl.layer.${l}`)}</th>
                <td>{fc?.features.length ?? 0}</td>
                <td className="pl-row">
                  <Download content={fc ? JSON.stringify(fc) : null} type="application/geo+json" name={`plan-${pid}-${l}.geojson`} label="GeoJSON" />
                  <Download content={fc ? layerCsv(fc) : null} type="text/csv;charset=utf-8" name={`plan-${pid}-${l}.csv`} label="CSV" />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <div className="pl-row">
        <Download content={assignmentsCsv(results, sites)} type="text/csv;charset=utf-8" name={`plan-${pid}-assignments.csv`} label={t('pl.export.assignments')} />
        <a className="btn small" href={signsCsvUrl(pid)} download={`plan-${pid}-signs.csv`}>
          {t('pl.export.signs')}
        </a>
      </div>
      <fieldset className="panel-box pl-form">
        <legend>{t('pl.export.posters')}</legend>
        <p className="pl-hint">{t('pl.export.postersHint')}</p>
        <label htmlFor={`${id}-c`}>{t('pl.export.community')}</label>
        <select id={`${id}-c`} value={community} onChange={(e) => setCommunity(e.target.value ? Number(e.target.value) : '')}>
          <option value="">{t('pl.export.chooseCommunity')}</option>
          {results.communities.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name} ({t('pl.export.buildingCount', { count: perCommunity(c.id) })})
            </option>
          ))}
        </select>
        <button
          type="button"
          className="btn primary"
          disabled={community === '' || perCommunity(community) === 0}
          onClick={() => community !== '' && printCommunity(community, results.communities.find((c) => c.id === community)?.name ?? '')}
        >
          {t('pl.export.printCommunity')}
        </button>
      </fieldset>
    </section>
  );
}
