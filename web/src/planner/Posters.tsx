/**
 * Printable A4 evacuation posters for stairwells, one per building: a static SVG map of the route (roads, the
 * building, the site, north arrow, scale bar), the site, distance and minutes, the directions, the signs, the
 * guides, and a QR code that opens the building's resident page. Printed one poster per page (@page A4).
 */
import { useEffect, useId, useRef, useState } from 'react';
import { createPortal } from 'react-dom';
import { useTranslation } from 'react-i18next';
import QRCode from 'qrcode';
import type { Feature, FeatureCollection, Geometry, LineString, Position } from 'geojson';
import { bboxOf, type BBox } from '../api/client.ts';
import { formatDistance, roundMinutes } from '../format.ts';
import { buildingPlanFull, type BuildingPlanFull, type SiteListItem } from './api.ts';
import { signLine } from './PlanPanel.tsx';

export interface PosterData {
  plan: BuildingPlanFull;
  roads: Feature[];
  buildingGeom: Geometry | null;
  siteGeom: Geometry | null;
  url: string;
  qr: string;
}

export const residentUrl = (buildingId: number | string, origin = location.origin) => `${origin}/building/${encodeURIComponent(String(buildingId))}`;

function pad([w, s, e, n]: BBox, f = 0.25, minDeg = 0.0012): BBox {
  const dx = Math.max((e - w) * f, (minDeg - (e - w)) / 2, 0.0002);
  const dy = Math.max((n - s) * f, (minDeg - (n - s)) / 2, 0.0002);
  return [w - dx, s - dy, e + dx, n + dy];
}

function union(boxes: (BBox | null)[]): BBox | null {
  const bs = boxes.filter((b): b is BBox => !!b);
  if (!bs.length) return null;
  return [Math.min(...bs.map((b) => b[0])), Math.min(...bs.map((b) => b[1])), Math.max(...bs.map((b) => b[2])), Math.max(...bs.map((b) => b[3]))];
}

/** Everything one poster needs, from the API. */
export async function loadPoster(buildingId: number, opts: { planId?: number | null; buildingGeom?: Geometry | null; sites: SiteListItem[] }): Promise<PosterData> {
  const plan = await buildingPlanFull(buildingId, opts.planId);
  const siteGeom = plan.site ? (opts.sites.find((s) => s.id === plan.site!.id)?.geometry ?? null) : null;
  const centre: Geometry = { type: 'Point', coordinates: plan.building.center };
  const box = pad(union([bboxOf(plan.route), bboxOf(siteGeom), bboxOf(opts.buildingGeom ?? centre)])!);
  const q = `bbox=${box.map((v) => v.toFixed(7)).join(',')}&limit=5000`;
  const [roads, buildings] = await Promise.all([
    fetch(`/api/layers/roads?${q}`).then((r) => (r.ok ? (r.json() as Promise<FeatureCollection>) : { features: [] as Feature[] })),
    opts.buildingGeom ? Promise.resolve(null) : fetch(`/api/layers/buildings?${q}`).then((r) => (r.ok ? (r.json() as Promise<FeatureCollection>) : null)),
  ]);
  const buildingGeom = opts.buildingGeom ?? buildings?.features.find((f) => Number(f.properties?.id ?? f.id) === buildingId)?.geometry ?? null;
  const url = residentUrl(buildingId);
  const qr = await QRCode.toDataURL(url, { margin: 1, width: 320, errorCorrectionLevel: 'M' });
  return { plan, roads: roads.features, buildingGeom, siteGeom, url, qr };
}

/** A static map of the route in SVG (local equirectangular projection; north up). */
export function RouteMap({ data, width = 680, height = 440 }: { data: PosterData; width?: number; height?: number }) {
  const { t } = useTranslation();
  const route = data.plan.route;
  const box = pad(union([bboxOf(route), bboxOf(data.siteGeom), bboxOf(data.buildingGeom ?? { type: 'Point', coordinates: data.plan.building.center })])!);
  const lat0 = ((box[1] + box[3]) / 2) * (Math.PI / 180);
  const kx = Math.cos(lat0);
  const sx = width / ((box[2] - box[0]) * kx);
  const sy = height / (box[3] - box[1]);
  const s = Math.min(sx, sy);
  const ox = (width - (box[2] - box[0]) * kx * s) / 2;
  const oy = (height - (box[3] - box[1]) * s) / 2;
  const P = (p: Position) => [ox + (p[0] - box[0]) * kx * s, oy + (box[3] - p[1]) * s] as const;
  const line = (c: Position[]) => c.map((p, i) => `${i ? 'L' : 'M'}${P(p)[0].toFixed(1)},${P(p)[1].toFixed(1)}`).join('');
  const rings = (g: Geometry | null): string => {
    if (!g) return '';
    if (g.type === 'Polygon') return g.coordinates.map((r) => line(r) + 'Z').join('');
    if (g.type === 'MultiPolygon') return g.coordinates.flatMap((p) => p.map((r) => line(r) + 'Z')).join('');
    return '';
  };
  const lines = (g: Geometry | null): string => (g?.type === 'LineString' ? line(g.coordinates) : g?.type === 'MultiLineString' ? g.coordinates.map(line).join('') : '');
  // scale bar: a round number of metres about a quarter of the width
  const mPerPx = 111_320 / s;
  const target = (width / 4) * mPerPx;
  const nice = [10, 20, 50, 100, 200, 250, 500, 1000, 2000, 5000].reduce((b, v) => (Math.abs(v - target) < Math.abs(b - target) ? v : b), 10);
  const barPx = nice / mPerPx;
  const start = route?.coordinates[0] ?? data.plan.building.center;
  const end = route?.coordinates[route.coordinates.length - 1] ?? data.plan.site?.center ?? null;
  const [x0, y0] = P(start);
  return (
    <svg className="pl-poster-map" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={t('pl.poster.mapLabel', { building: data.plan.building.name ?? '', site: data.plan.site?.name ?? '' })}>
      <rect width={width} height={height} fill="#f3f1ec" />
      <path d={data.roads.map((f) => lines(f.geometry)).join('')} fill="none" stroke="#b7aea2" strokeWidth={5} strokeLinecap="round" strokeLinejoin="round" />
      <path d={data.roads.map((f) => lines(f.geometry)).join('')} fill="none" stroke="#ffffff" strokeWidth={3} strokeLinecap="round" strokeLinejoin="round" />
      {data.siteGeom && data.siteGeom.type !== 'Point' && <path d={rings(data.siteGeom)} fill="#2e7d32" fillOpacity={0.35} stroke="#2e7d32" strokeWidth={2} />}
      {data.buildingGeom && <path d={rings(data.buildingGeom)} fill="#d9c6b0" stroke="#5d4037" strokeWidth={2} />}
      {route && <path d={line(route.coordinates)} fill="none" stroke="#0063ce" strokeWidth={7} strokeLinecap="round" strokeLinejoin="round" />}
      {route && <path d={line(route.coordinates)} fill="none" stroke="#ffffff" strokeWidth={2} strokeDasharray="2 10" strokeLinecap="round" />}
      <circle cx={x0} cy={y0} r={10} fill="#ffffff" stroke="#0063ce" strokeWidth={4} />
      <text x={x0 + 14} y={y0 - 10} className="pl-svg-label">
        {t('pl.poster.youAreHere')}
      </text>
      {end && (
        <>
          <circle cx={P(end)[0]} cy={P(end)[1]} r={12} fill="#c62828" stroke="#ffffff" strokeWidth={3} />
          <text x={P(end)[0] + 16} y={P(end)[1] + 5} className="pl-svg-label">
            {data.plan.site?.name ?? ''}
          </text>
        </>
      )}
      <g transform={`translate(${width - 36},40)`} aria-hidden="true">
        <path d="M0,-22 L9,8 L0,2 L-9,8 Z" fill="#1b1b1b" />
        <text y={24} textAnchor="middle" className="pl-svg-label">
          {t('pl.poster.north')}
        </text>
      </g>
      <g transform={`translate(16,${height - 18})`} aria-hidden="true">
        <rect width={barPx} height={6} fill="#1b1b1b" />
        <text y={-6} className="pl-svg-small">
          {nice >= 1000 ? `${nice / 1000} km` : `${nice} m`}
        </text>
      </g>
    </svg>
  );
}

export function Poster({ data }: { data: PosterData }) {
  const { t, i18n } = useTranslation();
  const p = data.plan;
  const min = roundMinutes(p.minutes);
  const minV = roundMinutes(p.minutesVulnerable);
  const stairwell = p.signs.filter((s) => s.kind === 'stairwell' || s.kind === 'exit');
  const others = p.signs.filter((s) => s.kind !== 'stairwell' && s.kind !== 'exit');
  return (
    <article className="pl-poster" data-testid="poster" aria-label={t('pl.poster.title', { building: p.building.name ?? `#${p.building.id}` })}>
      <header className="pl-poster-head">
        <h2>{t('pl.poster.title', { building: p.building.name ?? `#${p.building.id}` })}</h2>
        <p>
          {p.building.communityName ?? ''} {p.hazard ? `· ${t(`pl.hazard.${p.hazard}`, { defaultValue: p.hazard })}` : ''}
        </p>
      </header>
      <RouteMap data={data} />
      {p.site ? (
        <div className="pl-poster-figs">
          <div>
            <span className="pl-big-label">{t('pl.poster.goTo')}</span>
            <span className="pl-big" data-testid="poster-site">
              {p.site.name}
            </span>
          </div>
          <div>
            <span className="pl-big-label">{t('pl.poster.distance')}</span>
            <span className="pl-big">{formatDistance(t, p.distanceM)}</span>
          </div>
          <div>
            <span className="pl-big-label">{t('pl.poster.walk')}</span>
            <span className="pl-big" data-testid="poster-minutes">
              {t('pl.minutes', { count: min ?? 0 })}
            </span>
            {minV !== null && <span className="pl-small">{t('pl.poster.vulnerable', { count: minV })}</span>}
          </div>
        </div>
      ) : (
        <p className="warn">{t('pl.building.unplaced', { reason: t(`pl.reason.${p.unplacedReason}`, { defaultValue: p.unplacedReason ?? '' }) })}</p>
      )}
      <div className="pl-poster-cols">
        <section>
          <h3>{t('pl.poster.route')}</h3>
          <ol className="pl-steps">
            {p.steps.map((s, i) => (
              <li key={i}>{i18n.language === 'en' && s.instructionEn ? s.instructionEn : s.instruction}</li>
            ))}
          </ol>
          <h3>{t('pl.poster.signs', { count: p.signs.length })}</h3>
          <ul className="pl-compact">
            {[...stairwell, ...others].slice(0, 14).map((s) => (
              <li key={s.id}>
                <code>{s.id}</code> {t(`pl.signKind.${s.kind}`, { defaultValue: s.kind })}: {signLine(t, s)}
              </li>
            ))}
            {p.signs.length > 14 && <li>{t('pl.poster.moreSigns', { count: p.signs.length - 14 })}</li>}
          </ul>
        </section>
        <section>
          <h3>{t('pl.poster.guides')}</h3>
          {p.guides.length === 0 ? (
            <p>{t('pl.building.noGuides')}</p>
          ) : (
            <ul className="pl-compact">
              {p.guides.map((g, i) => (
                <li key={i}>
                  {t('pl.building.guideLine', { assigned: g.assigned, needed: g.needed })}
                  {g.names.length ? `：${g.names.join('、')}` : ''}
                </li>
              ))}
            </ul>
          )}
          <h3>{t('pl.poster.tips')}</h3>
          <ul className="pl-compact">
            {(t('pl.poster.tipList', { returnObjects: true }) as string[]).map((x, i) => (
              <li key={i}>{x}</li>
            ))}
          </ul>
          <figure className="pl-qr">
            <img src={data.qr} alt={t('pl.poster.qrAlt', { url: data.url })} width={160} height={160} data-testid="poster-qr" />
            <figcaption>
              {t('pl.poster.scan')}
              <br />
              <span className="pl-url">{data.url}</span>
            </figcaption>
          </figure>
        </section>
      </div>
      <footer className="pl-poster-foot">{t('pl.poster.footer', { plan: p.planId ?? '—', date: new Date().toLocaleDateString(i18n.language) })}</footer>
    </article>
  );
}

export interface PosterRequest {
  buildingIds: number[];
  title: string;
}

/** A dialog with one or many posters, loaded a few at a time, and a print button (one poster per A4 page). */
export function PosterDialog({
  request,
  onClose,
  load,
}: {
  request: PosterRequest;
  onClose: () => void;
  load: (id: number) => Promise<PosterData>;
}) {
  const { t } = useTranslation();
  const id = useId();
  const [items, setItems] = useState<(PosterData | null)[]>(() => request.buildingIds.map(() => null));
  const [errors, setErrors] = useState(0);
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    let cancelled = false;
    let next = 0;
    const worker = async () => {
      while (!cancelled && next < request.buildingIds.length) {
        const i = next++;
        try {
          const d = await load(request.buildingIds[i]);
          if (!cancelled) setItems((xs) => xs.map((x, j) => (j === i ? d : x)));
        } catch {
          if (!cancelled) setErrors((n) => n + 1);
        }
      }
    };
    void Promise.all([worker(), worker(), worker()]);
    return () => {
      cancelled = true;
    };
  }, [request]);
  useEffect(() => {
    closeRef.current?.focus();
    const k = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', k);
    document.body.classList.add('pl-printing');
    return () => {
      window.removeEventListener('keydown', k);
      document.body.classList.remove('pl-printing');
    };
  }, []);
  const ready = items.filter(Boolean).length;
  const total = request.buildingIds.length;
  return createPortal(
    <div className="pl-poster-dialog" role="dialog" aria-modal="true" aria-labelledby={`${id}-h`}>
      <div className="pl-poster-bar">
        <h2 id={`${id}-h`}>{request.title}</h2>
        <span role="status" className="meta">
          {ready < total ? t('pl.poster.loading', { ready, total }) : t('pl.poster.ready', { count: total })}
          {errors > 0 && ` · ${t('pl.poster.failed', { count: errors })}`}
        </span>
        <button type="button" className="btn primary" disabled={ready + errors < total} onClick={() => window.print()}>
          {t('pl.poster.print')}
        </button>
        <button type="button" className="btn" ref={closeRef} onClick={onClose}>
          {t('pl.close')}
        </button>
      </div>
      <div className="pl-poster-pages">
        {items.map((d, i) => (d ? <Poster key={request.buildingIds[i]} data={d} /> : <div key={request.buildingIds[i]} className="pl-poster pl-poster-empty" aria-hidden="true" />))}
      </div>
    </div>,
    document.body,
  );
}

export type { LineString };
