/**
 * The inspector's coverage dashboard for the city, one community or one evacuation zone: the figures exactly as
 * GET /api/coverage (and, for a community, its inspection checklist) give them; a map of uncovered buildings and
 * site utilisation; charts; sortable tables; drill-down to a building.
 */
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Feature, FeatureCollection, Geometry, LineString } from 'geojson';
import { bboxOf, type BBox } from '../api/client.ts';
import { MapView } from '../map/MapView.tsx';
import { useData } from '../data.tsx';
import { Link } from '../router.tsx';
import { getChecklist, getCoverage, layer, type AreaSummary, type Checklist, type Coverage, type SiteCoverage } from './api.ts';
import { Histogram, HBars, type Bar } from './charts.tsx';
import { coverageLayers, INSPECTOR_COLORS, siteTone, type SitePoint } from './coverageLayers.ts';
import { formatCount, formatShare, histogram, minutesOf, niceBinWidth } from './format.ts';
import { byId, centerOf, featuresIn } from './geo.ts';
import { SortableTable, type Column } from './SortableTable.tsx';

type Scope = { kind: 'city' } | { kind: 'community'; id: number } | { kind: 'zone'; id: number };

interface Layers {
  buildings: Feature[];
  routes: Feature<LineString>[];
  sites: FeatureCollection | null;
  communities: FeatureCollection | null;
  zones: FeatureCollection | null;
}

const scopeKey = (s: Scope) => (s.kind === 'city' ? 'city' : `${s.kind}:${s.id}`);
function parseScope(v: string): Scope {
  const [k, id] = v.split(':');
  return k === 'community' || k === 'zone' ? { kind: k, id: Number(id) } : { kind: 'city' };
}

export function Dashboard() {
  const { t, i18n } = useTranslation();
  const { dataVersion } = useData();
  const [cov, setCov] = useState<Coverage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [noPlan, setNoPlan] = useState(false);
  const [layers, setLayers] = useState<Layers>({ buildings: [], routes: [], sites: null, communities: null, zones: null });
  const [scope, setScope] = useState<Scope>({ kind: 'city' });
  const [checklist, setChecklist] = useState<Checklist | null>(null);
  const [picked, setPicked] = useState<Feature | null>(null);
  const year = new Date().getFullYear();

  useEffect(() => {
    const ctrl = new AbortController();
    getCoverage(ctrl.signal)
      .then(setCov)
      .catch((e: Error & { status?: number }) => {
        if (e.name === 'AbortError') return;
        if (e.status === 404) setNoPlan(true);
        else setError(e.message);
      });
    const opt = (id: string) => layer(id, 100_000, ctrl.signal).catch((e: Error) => (e.name === 'AbortError' ? Promise.reject(e) : null));
    Promise.all([opt('plan_buildings'), opt('plan_routes'), opt('sites'), opt('communities'), opt('zones')])
      .then(([b, r, s, c, z]) =>
        setLayers({ buildings: b?.features ?? [], routes: (r?.features ?? []) as Feature<LineString>[], sites: s, communities: c, zones: z }),
      )
      .catch(() => {});
    return () => ctrl.abort();
  }, [dataVersion]);

  // A community's capacity, sites, signs and guides come from its inspection checklist (computed by the API).
  useEffect(() => {
    setChecklist(null);
    if (scope.kind !== 'community') return;
    const ctrl = new AbortController();
    getChecklist(scope.id, year, ctrl.signal)
      .then(setChecklist)
      .catch(() => {});
    return () => ctrl.abort();
  }, [scopeKey(scope), year]);

  const area: Geometry | null = useMemo(() => {
    if (scope.kind === 'city') return null;
    const fc = scope.kind === 'community' ? layers.communities : layers.zones;
    return byId(fc).get(scope.id)?.geometry ?? null;
  }, [scope, layers.communities, layers.zones]);

  const siteGeoms = useMemo(() => byId(layers.sites), [layers.sites]);
  const sitesInScope: SiteCoverage[] = useMemo(() => {
    const all = cov?.coverage.sites ?? [];
    if (!area) return all;
    return all.filter((s) => {
      const c = centerOf(siteGeoms.get(s.id)?.geometry);
      return c !== null && featuresIn([{ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: c } }], area).length > 0;
    });
  }, [cov, area, siteGeoms]);
  const buildingsInScope = useMemo(() => featuresIn(layers.buildings, area), [layers.buildings, area]);
  const routesInScope = useMemo(() => {
    if (!area) return layers.routes;
    const ids = new Set(buildingsInScope.map((f) => Number((f.properties as any)?.building_id)));
    return layers.routes.filter((r) => ids.has(Number((r.properties as any)?.building_id)));
  }, [layers.routes, buildingsInScope, area]);

  const sitePoints: SitePoint[] = useMemo(
    () =>
      sitesInScope.flatMap((s) => {
        const c = centerOf(siteGeoms.get(s.id)?.geometry);
        return c ? [{ id: s.id, name: s.name ?? t('insp.unnamed', { id: s.id }), position: c, utilisation: s.utilisation, load: s.load, capacity: s.capacity }] : [];
      }),
    [sitesInScope, siteGeoms, t],
  );

  const deckLayers = useMemo(
    () => coverageLayers({ buildings: buildingsInScope, routes: routesInScope, sites: sitePoints, onBuilding: setPicked }),
    [buildingsInScope, routesInScope, sitePoints],
  );
  const focus: BBox | null = useMemo(() => (area ? bboxOf(area) : null), [area]);

  if (noPlan) return <p className="warn">{t('insp.noPlan')}</p>;
  if (error)
    return (
      <p role="alert" className="error">
        {t('app.error', { message: error })}
      </p>
    );
  if (!cov) return <p role="status">{t('insp.loading')}</p>;

  const communities = cov.coverage.communities ?? [];
  const zones = cov.coverage.zones ?? [];
  const summaryOf: AreaSummary | null =
    scope.kind === 'community' ? (communities.find((c) => c.id === scope.id) ?? null) : scope.kind === 'zone' ? (zones.find((z) => z.id === scope.id) ?? null) : null;
  const hazard = t(`insp.hazards.${cov.hazard}`, { defaultValue: cov.hazard });
  const date = cov.createdAt ? new Date(cov.createdAt).toLocaleDateString(i18n.language) : '';

  // walking-time histogram (people per route, by minutes)
  const mins = routesInScope.map((r) => Number((r.properties as any)?.minutes));
  const people = routesInScope.map((r) => Number((r.properties as any)?.people ?? 1));
  const bw = niceBinWidth(Math.max(0, ...mins.filter(Number.isFinite)));
  const walkBars: Bar[] = histogram(mins, people, bw).map((b) => ({
    key: b.from,
    label: t('insp.charts.walkTimeBin', { from: b.from, to: b.to }),
    value: b.total,
    text: t('insp.fig.people', { count: Math.round(b.total) }),
    tone: b.from >= 15 ? 'bad' : b.from >= 10 ? 'warn' : 'ok',
  }));
  const utilBars: Bar[] = [...sitesInScope]
    .filter((s) => s.capacity > 0)
    .sort((a, b) => b.utilisation - a.utilisation)
    .map((s) => ({ key: s.id, label: s.name ?? t('insp.unnamed', { id: s.id }), value: s.utilisation, text: formatShare(s.utilisation, 0), tone: siteTone(s.utilisation) }));
  const comBars: Bar[] = communities.map((c) => ({
    key: c.id,
    label: c.name,
    value: c.coveredShare,
    text: formatShare(c.coveredShare),
    tone: c.coveredShare >= 0.9 ? 'ok' : c.coveredShare >= 0.7 ? 'warn' : 'bad',
  }));

  const uncoveredRows = buildingsInScope
    .filter((f) => (f.properties as any)?.reason)
    .map((f) => f.properties as { building_id: number; population: number; reason: string; nearest_site_id: number | null });

  return (
    <div className="dashboard">
      <div className="scope-row">
        <label>
          {t('insp.scope.label')}{' '}
          <select value={scopeKey(scope)} onChange={(e) => setScope(parseScope(e.target.value))} data-testid="scope">
            <option value="city">{t('insp.scope.city')}</option>
            {communities.length > 0 && (
              <optgroup label={t('insp.scope.communities')}>
                {communities.map((c) => (
                  <option key={c.id} value={`community:${c.id}`}>
                    {t('insp.scope.community', { name: c.name })}
                  </option>
                ))}
              </optgroup>
            )}
            {zones.length > 0 && (
              <optgroup label={t('insp.scope.zones')}>
                {zones.map((z) => (
                  <option key={z.id} value={`zone:${z.id}`}>
                    {t('insp.scope.zone', { name: z.name })}
                  </option>
                ))}
              </optgroup>
            )}
          </select>
        </label>
        <span className="meta">{t('insp.plan', { id: cov.planId, hazard, date })}</span>
      </div>

      <Figures cov={cov} area={summaryOf} scope={scope} checklist={checklist} sites={sitesInScope} year={year} />

      <section className="insp-map" aria-labelledby="insp-map-h">
        <h2 id="insp-map-h">{t('insp.map.heading')}</h2>
        <div className="insp-map-pane" aria-label={t('insp.map.label')} role="region">
          {dataVersion !== null && <MapView dataVersion={dataVersion} deckLayers={deckLayers} focus={focus} />}
        </div>
        <MapLegend />
        {picked && <BuildingPanel feature={picked} sites={cov.coverage.sites} onClose={() => setPicked(null)} />}
      </section>

      <section aria-labelledby="insp-charts-h">
        <h2 id="insp-charts-h">{t('insp.charts.heading')}</h2>
        <div className="charts">
          <Histogram
            testId="chart-walk"
            title={t('insp.charts.walkTime')}
            desc={t('insp.charts.walkTimeDesc', { count: routesInScope.length })}
            bars={walkBars}
            xLabel={t('insp.charts.walkTimeX')}
            yLabel={t('insp.charts.peopleY')}
          />
          <HBars testId="chart-util" title={t('insp.charts.utilisation')} desc={t('insp.charts.utilisationDesc')} bars={utilBars} marker={1} />
          <HBars testId="chart-communities" title={t('insp.charts.coverageByCommunity')} desc={t('insp.charts.coverageByCommunityDesc')} bars={comBars} maxValue={1} />
        </div>
      </section>

      <Tables sites={sitesInScope} communities={communities} zones={zones} uncovered={uncoveredRows} />
    </div>
  );
}

function Figure({ label, value, hint, testId, tone }: { label: string; value: string; hint?: string; testId?: string; tone?: 'ok' | 'warn' | 'bad' }) {
  return (
    <div className={`fig${tone ? ` fig-${tone}` : ''}`}>
      <dt>{label}</dt>
      <dd data-testid={testId}>{value}</dd>
      {hint && <dd className="fig-hint">{hint}</dd>}
    </div>
  );
}

function num(o: Record<string, unknown> | null | undefined, k: string): number | null {
  const v = o?.[k];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function Figures({ cov, area, scope, checklist, sites, year }: { cov: Coverage; area: AreaSummary | null; scope: Scope; checklist: Checklist | null; sites: SiteCoverage[]; year: number }) {
  const { t } = useTranslation();
  const s = cov.summary;
  const c = cov.coverage;
  const item = (code: string) => checklist?.items.find((i) => i.code === code)?.computed ?? null;
  const dash = t('insp.fig.notInScope');

  let covered: number, population: number, coveredPop: number, unplaced: number;
  let capacity: number | null, capPop: number | null, shortfall: number | null, siteCount: number | null, signs: number | null;
  let guidesNeeded: number | null, guidesAssigned: number | null, maxUtil: number | null;
  let clearance: number | null = null, clearanceV: number | null = null;
  if (scope.kind === 'city' || !area) {
    covered = s.coveredPopulationShare;
    population = s.population;
    coveredPop = c.coveredPopulation;
    unplaced = s.unplacedPopulation;
    capacity = c.capacity?.total ?? null;
    capPop = c.capacity?.population ?? s.population;
    shortfall = c.capacity?.shortfall ?? null;
    siteCount = typeof s.sites === 'number' ? s.sites : c.sites.filter((x) => x.eligible).length;
    signs = s.signs;
    guidesNeeded = s.guidesNeeded;
    guidesAssigned = s.guidesAssigned;
    maxUtil = s.maxSiteUtilisation;
  } else {
    covered = area.coveredShare;
    population = area.population;
    coveredPop = area.coveredPopulation;
    unplaced = area.unplacedPopulation;
    clearance = area.clearanceS;
    clearanceV = area.clearanceVulnerableS;
    const cap = item('capacity');
    capacity = num(cap, 'capacity');
    capPop = num(cap, 'population') ?? area.population;
    shortfall = capacity !== null && capPop !== null ? Math.max(0, capPop - capacity) : null;
    siteCount = num(cap, 'sites');
    signs = num(item('signs_installed'), 'planned');
    const g = item('guides_assigned');
    guidesNeeded = num(g, 'needed');
    guidesAssigned = num(g, 'assigned');
    maxUtil = sites.length ? Math.max(...sites.map((x) => x.utilisation)) : null;
  }
  const uncoveredPeople = population - coveredPop;
  return (
    <section aria-labelledby="insp-fig-h">
      <h2 id="insp-fig-h">{t('insp.fig.heading')}</h2>
      <dl className="figs" data-testid="figures">
        <Figure
          label={t('insp.fig.covered')}
          value={formatShare(covered)}
          hint={t('insp.fig.coveredHint')}
          testId="fig-covered"
          tone={covered >= 0.9 ? 'ok' : covered >= 0.7 ? 'warn' : 'bad'}
        />
        <Figure label={t('insp.fig.uncovered')} value={t('insp.fig.people', { count: Math.round(uncoveredPeople) })} testId="fig-uncovered" tone={uncoveredPeople > 0 ? 'bad' : 'ok'} />
        <Figure label={t('insp.fig.unplaced')} value={t('insp.fig.people', { count: Math.round(unplaced) })} testId="fig-unplaced" />
        <Figure label={t('insp.fig.population')} value={formatCount(population)} testId="fig-population" />
        <Figure
          label={t('insp.fig.capacityVsPopulation')}
          value={capacity === null || capPop === null ? dash : t('insp.fig.ratio', { a: formatCount(capacity), b: formatCount(capPop) })}
          hint={
            shortfall
              ? t('insp.fig.shortfall', { count: shortfall })
              : capacity !== null && capPop
                ? t('insp.fig.capacityRatio', { ratio: (capacity / capPop).toFixed(1) })
                : undefined
          }
          testId="fig-capacity"
          tone={shortfall ? 'bad' : undefined}
        />
        <Figure label={t('insp.fig.sites')} value={siteCount === null ? dash : formatCount(siteCount)} testId="fig-sites" />
        <Figure label={t('insp.fig.maxUtilisation')} value={formatShare(maxUtil, 0)} testId="fig-maxutil" tone={maxUtil !== null && maxUtil >= 1 ? 'bad' : undefined} />
        <Figure label={t('insp.fig.signs')} value={signs === null ? dash : formatCount(signs)} testId="fig-signs" />
        <Figure
          label={t('insp.fig.guides')}
          value={guidesNeeded === null ? dash : t('insp.fig.ratio', { a: formatCount(guidesAssigned), b: formatCount(guidesNeeded) })}
          hint={guidesNeeded !== null && guidesAssigned !== null && guidesNeeded > guidesAssigned ? t('insp.fig.guidesShort', { count: guidesNeeded - guidesAssigned }) : undefined}
          testId="fig-guides"
          tone={guidesNeeded !== null && guidesAssigned !== null && guidesNeeded > guidesAssigned ? 'bad' : undefined}
        />
        {clearance !== null && <Figure label={t('insp.fig.clearance')} value={t('insp.fig.minutes', { value: minutesOf(clearance) })} />}
        {clearanceV !== null && <Figure label={t('insp.fig.clearanceVulnerable')} value={t('insp.fig.minutes', { value: minutesOf(clearanceV) })} />}
      </dl>
      {scope.kind === 'community' && checklist && <p className="meta">{t('insp.fig.fromInspection', { year })}</p>}
    </section>
  );
}

function MapLegend() {
  const { t } = useTranslation();
  const sw = (rgb: number[], round = false) => (
    <span aria-hidden="true" className={round ? 'swatch-dot' : 'swatch'} style={{ background: `rgb(${rgb.join(',')})` }} />
  );
  return (
    <ul className="insp-legend">
      <li>
        {sw(INSPECTOR_COLORS.uncovered)} {t('insp.map.uncovered')}
      </li>
      <li>
        {sw(INSPECTOR_COLORS.covered)} {t('insp.map.covered')}
      </li>
      <li>
        {sw(INSPECTOR_COLORS.siteOk, true)} {t('insp.map.siteOk')}
      </li>
      <li>
        {sw(INSPECTOR_COLORS.siteBusy, true)} {t('insp.map.siteBusy')}
      </li>
      <li>
        {sw(INSPECTOR_COLORS.siteFull, true)} {t('insp.map.siteFull')}
      </li>
      <li>
        {sw(INSPECTOR_COLORS.route)} {t('insp.map.routes')}
      </li>
    </ul>
  );
}

function BuildingPanel({ feature, sites, onClose }: { feature: Feature; sites: SiteCoverage[]; onClose: () => void }) {
  const { t } = useTranslation();
  const p = feature.properties as { building_id: number; site_id: number | null; distance_m: number | null; minutes: number | null; population: number; reason: string | null };
  const site = sites.find((s) => s.id === p.site_id);
  return (
    <aside className="card building-panel" aria-labelledby="bp-h" data-testid="building-panel">
      <h3 id="bp-h">{t('insp.building.heading', { id: p.building_id })}</h3>
      <dl className="figures">
        <div>
          <dt>{t('insp.tables.col.people')}</dt>
          <dd>{formatCount(p.population)}</dd>
        </div>
        <div>
          <dt>{t('insp.building.site')}</dt>
          <dd>{site ? (site.name ?? t('insp.unnamed', { id: site.id })) : t('insp.building.none')}</dd>
        </div>
        {p.minutes !== null && (
          <div>
            <dt>{t('insp.building.minutes')}</dt>
            <dd>{t('insp.fig.minutes', { value: p.minutes })}</dd>
          </div>
        )}
      </dl>
      {p.reason && <p className="warn">{t(`insp.reasons.${p.reason}`, { defaultValue: p.reason })}</p>}
      <p>
        <Link href={`/building/${p.building_id}`}>{t('insp.building.open')}</Link>{' '}
        <button type="button" className="btn small" onClick={onClose}>
          {t('insp.building.close')}
        </button>
      </p>
    </aside>
  );
}

type UncoveredRow = { building_id: number; population: number; reason: string; nearest_site_id: number | null };

function Tables({ sites, communities, zones, uncovered }: { sites: SiteCoverage[]; communities: AreaSummary[]; zones: AreaSummary[]; uncovered: UncoveredRow[] }) {
  const { t } = useTranslation();
  const col = (k: string) => t(`insp.tables.col.${k}`);
  const siteCols: Column<SiteCoverage>[] = [
    { key: 'name', label: col('name'), value: (s) => s.name ?? t('insp.unnamed', { id: s.id }) },
    { key: 'load', label: col('load'), value: (s) => s.load, render: (s) => formatCount(s.load), numeric: true },
    { key: 'capacity', label: col('capacity'), value: (s) => s.capacity, render: (s) => formatCount(s.capacity), numeric: true },
    { key: 'utilisation', label: col('utilisation'), value: (s) => s.utilisation, render: (s) => formatShare(s.utilisation), numeric: true },
    { key: 'buildings', label: col('buildings'), value: (s) => s.buildings, numeric: true },
    { key: 'coverageLost', label: col('coverageLost'), value: (s) => s.coverageLost ?? null, render: (s) => formatCount(s.coverageLost), numeric: true },
  ];
  const areaCols: Column<AreaSummary>[] = [
    { key: 'name', label: col('name'), value: (a) => a.name },
    { key: 'population', label: col('population'), value: (a) => a.population, render: (a) => formatCount(a.population), numeric: true },
    { key: 'covered', label: col('covered'), value: (a) => a.coveredPopulation, render: (a) => formatCount(a.coveredPopulation), numeric: true },
    { key: 'coveredShare', label: col('coveredShare'), value: (a) => a.coveredShare, render: (a) => formatShare(a.coveredShare), numeric: true },
    { key: 'unplaced', label: col('unplaced'), value: (a) => a.unplacedPopulation, render: (a) => formatCount(a.unplacedPopulation), numeric: true },
    { key: 'clearance', label: col('clearance'), value: (a) => a.clearanceS, render: (a) => minutesOf(a.clearanceS), numeric: true },
  ];
  const uncCols: Column<UncoveredRow>[] = [
    {
      key: 'building',
      label: col('building'),
      value: (r) => r.building_id,
      render: (r) => (
        <Link href={`/building/${r.building_id}`} aria-label={t('insp.tables.openBuilding', { id: r.building_id })}>
          {r.building_id}
        </Link>
      ),
      numeric: true,
    },
    { key: 'people', label: col('people'), value: (r) => r.population, render: (r) => formatCount(r.population), numeric: true },
    { key: 'reason', label: col('reason'), value: (r) => t(`insp.reasons.${r.reason}`, { defaultValue: r.reason }) },
  ];
  return (
    <section className="tables" aria-label={t('insp.tables.sites')}>
      <SortableTable
        testId="table-sites"
        caption={t('insp.tables.sites')}
        columns={siteCols}
        rows={sites}
        rowKey={(s) => s.id}
        initialSort={{ key: 'utilisation', dir: 'desc' }}
        rowClass={(s) => (s.utilisation >= 1 ? 'row-bad' : undefined)}
      />
      <SortableTable testId="table-uncovered" caption={t('insp.tables.uncovered')} columns={uncCols} rows={uncovered} rowKey={(r) => r.building_id} initialSort={{ key: 'people', dir: 'desc' }} />
      <SortableTable
        testId="table-communities"
        caption={t('insp.tables.communities')}
        columns={areaCols}
        rows={communities}
        rowKey={(a) => a.id}
        initialSort={{ key: 'coveredShare', dir: 'asc' }}
        rowClass={(a) => (a.coveredShare < 0.9 ? 'row-warn' : undefined)}
      />
      {zones.length > 0 && <SortableTable testId="table-zones" caption={t('insp.tables.zones')} columns={areaCols} rows={zones} rowKey={(a) => a.id} initialSort={{ key: 'coveredShare', dir: 'asc' }} />}
    </section>
  );
}
