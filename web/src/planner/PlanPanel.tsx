/**
 * Run a plan (hazard, reach, walking speeds) with progress; its results in tables (site utilisation, unplaced
 * buildings); the building picked on the map (route, minutes, signs, guides); what-if closures and their diff.
 */
import { useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDistance, roundMinutes } from '../format.ts';
import { PLAN_HAZARDS, planDiff, runPlan, type BuildingPlanFull, type PlanDiff, type PlanHazard, type RunPlanInput } from './api.ts';
import { usePlanner } from './context.ts';
import type { Results } from './results.ts';
import { siteColor } from './resultLayers.ts';

export interface Closure {
  type: 'road' | 'site';
  id: number;
  name: string | null;
  geometry: GeoJSON.Geometry | null;
}

export interface WhatIf {
  planId: number;
  baseId: number;
  diff: PlanDiff;
}

export interface PlanFormState {
  hazard: PlanHazard;
  name: string;
  reachEmergency: string;
  reachFixed: string;
  speedNormal: string;
  speedVulnerable: string;
}

export const DEFAULT_PLAN_FORM: PlanFormState = { hazard: 'earthquake', name: '', reachEmergency: '500', reachFixed: '2500', speedNormal: '1.0', speedVulnerable: '0.5' };

const pos = (s: string) => {
  const v = Number(s);
  return Number.isFinite(v) && v > 0 ? v : undefined;
};

/** The POST /api/plans body for the form (fields left empty or invalid fall back to the engine's defaults). */
export function planBody(f: PlanFormState, extra: Partial<RunPlanInput> = {}): RunPlanInput {
  const reachM: Record<string, number> = {};
  const walkSpeedMps: Record<string, number> = {};
  if (pos(f.reachEmergency)) reachM.emergency = pos(f.reachEmergency)!;
  if (pos(f.reachFixed)) reachM.fixed = pos(f.reachFixed)!;
  if (pos(f.speedNormal)) walkSpeedMps.normal = pos(f.speedNormal)!;
  if (pos(f.speedVulnerable)) walkSpeedMps.vulnerable = pos(f.speedVulnerable)!;
  return { hazard: f.hazard, ...(f.name.trim() ? { name: f.name.trim() } : {}), options: { reachM, walkSpeedMps }, ...extra };
}

/** Seconds since `start` while `running`, updated every 100 ms. */
function useElapsed(start: number | null): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (start === null) return;
    const h = setInterval(() => setNow(Date.now()), 100);
    return () => clearInterval(h);
  }, [start]);
  return start === null ? 0 : Math.max(0, (now - start) / 1000);
}

const pct = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : `${(x * 100).toFixed(1)}%`);

export function PlanPanel({
  results,
  reloadResults,
  selection,
  clearSelection,
  closeMode,
  setCloseMode,
  closures,
  setClosures,
  whatIf,
  setWhatIf,
  openPoster,
}: {
  results: Results | null;
  reloadResults: () => Promise<void>;
  selection: BuildingPlanFull | null;
  clearSelection: () => void;
  closeMode: boolean;
  setCloseMode: (on: boolean) => void;
  closures: Closure[];
  setClosures: (c: Closure[]) => void;
  whatIf: WhatIf | null;
  setWhatIf: (w: WhatIf | null) => void;
  openPoster: (buildingId: number) => void;
}) {
  const { t, i18n } = useTranslation();
  const ctx = usePlanner();
  const id = useId();
  const [form, setForm] = useState<PlanFormState>(DEFAULT_PLAN_FORM);
  const [started, setStarted] = useState<number | null>(null);
  const [lastRun, setLastRun] = useState<{ id: number; seconds: number } | null>(null);
  /** what-if scope: '' = every building, else one community (the others keep their baseline sites) */
  const [whatIfScope, setWhatIfScope] = useState<number | ''>('');
  const elapsed = useElapsed(started);
  const ctrl = useRef<AbortController | null>(null);
  const plan = results?.plan ?? null;
  const siteName = (sid: number | null) => {
    if (sid === null) return t('pl.plan.unplaced');
    return ctx.sites.find((s) => s.id === sid)?.name ?? plan?.coverage?.sites.find((s) => s.id === sid)?.name ?? `#${sid}`;
  };

  useEffect(() => () => ctrl.current?.abort(), []);
  // A building picked on the map: bring its plan into view in the side panel.
  const detailRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (selection) detailRef.current?.scrollIntoView?.({ block: 'nearest', behavior: 'smooth' });
  }, [selection]);

  const run = async (extra: Partial<RunPlanInput> = {}, what: 'plan' | 'whatif' = 'plan') => {
    const c = new AbortController();
    ctrl.current = c;
    const t0 = Date.now();
    setStarted(t0);
    ctx.notify(null);
    try {
      const r = await runPlan(planBody(form, extra), c.signal);
      const seconds = (Date.now() - t0) / 1000;
      setLastRun({ id: r.id, seconds });
      if (what === 'plan') {
        setWhatIf(null);
        setClosures([]);
        await reloadResults();
        await ctx.refreshTiles().catch(() => {});
        ctx.notify({ kind: 'ok', text: t('pl.plan.done', { id: r.id, seconds: seconds.toFixed(1) }) });
      } else {
        const diff = await planDiff(extra.baselineId!, r.id, c.signal);
        setWhatIf({ planId: r.id, baseId: extra.baselineId!, diff });
        ctx.notify({ kind: 'ok', text: t('pl.whatif.done', { id: r.id, seconds: seconds.toFixed(1) }) });
      }
    } catch (e) {
      if ((e as Error).name !== 'AbortError') ctx.fail(e);
    } finally {
      setStarted(null);
      ctrl.current = null;
    }
  };

  const runWhatIf = () => {
    if (!plan) return;
    void run(
      {
        baselineId: plan.id,
        hazard: plan.hazard,
        name: t('pl.whatif.name', { id: plan.id }),
        ...(whatIfScope !== '' ? { options: { ...planBody(form).options, communityIds: [whatIfScope] } } : {}),
        closures: { edgeIds: closures.filter((c) => c.type === 'road').map((c) => c.id), siteIds: closures.filter((c) => c.type === 'site').map((c) => c.id) },
      },
      'whatif',
    );
  };

  const sitesCov = [...(plan?.coverage?.sites ?? [])].sort((a, b) => b.utilisation - a.utilisation);
  const unplaced = (results?.data.plan_buildings?.features ?? [])
    .filter((f) => f.properties?.reason)
    .map((f) => ({ id: Number(f.properties!.building_id), population: Number(f.properties!.population ?? 0), reason: String(f.properties!.reason) }))
    .sort((a, b) => b.population - a.population);
  const s = plan?.summary;
  const running = started !== null;

  return (
    <section className="pl-panel" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('pl.plan.heading')}</h2>
      <form
        className="panel-box pl-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <label htmlFor={`${id}-hz`}>{t('pl.plan.hazard')}</label>
        <select id={`${id}-hz`} value={form.hazard} onChange={(e) => setForm({ ...form, hazard: e.target.value as PlanHazard })}>
          {PLAN_HAZARDS.map((h) => (
            <option key={h} value={h}>
              {t(`pl.hazard.${h}`)}
            </option>
          ))}
        </select>
        <label htmlFor={`${id}-nm`}>{t('pl.plan.name')}</label>
        <input id={`${id}-nm`} type="text" maxLength={200} value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
        <fieldset className="pl-grid2">
          <legend>{t('pl.plan.reach')}</legend>
          <label>
            {t('pl.level.emergency')}
            <input type="number" min={1} step="any" value={form.reachEmergency} onChange={(e) => setForm({ ...form, reachEmergency: e.target.value })} />
          </label>
          <label>
            {t('pl.level.fixed')}
            <input type="number" min={1} step="any" value={form.reachFixed} onChange={(e) => setForm({ ...form, reachFixed: e.target.value })} />
          </label>
        </fieldset>
        <fieldset className="pl-grid2">
          <legend>{t('pl.plan.speeds')}</legend>
          <label>
            {t('pl.plan.speedNormal')}
            <input type="number" min={0.1} step="any" value={form.speedNormal} onChange={(e) => setForm({ ...form, speedNormal: e.target.value })} />
          </label>
          <label>
            {t('pl.plan.speedVulnerable')}
            <input type="number" min={0.1} step="any" value={form.speedVulnerable} onChange={(e) => setForm({ ...form, speedVulnerable: e.target.value })} />
          </label>
        </fieldset>
        <div className="pl-row">
          <button type="submit" className="btn primary" disabled={running}>
            {t('pl.plan.run')}
          </button>
          {running && (
            <button type="button" className="btn small" onClick={() => ctrl.current?.abort()}>
              {t('pl.plan.stopWaiting')}
            </button>
          )}
        </div>
        <div role="status" aria-live="polite" className="pl-progress" data-testid="plan-progress">
          {running ? (
            <>
              <span className="pl-spinner" aria-hidden="true" />
              {t('pl.plan.running', { seconds: elapsed.toFixed(1) })}
            </>
          ) : lastRun ? (
            t('pl.plan.took', { id: lastRun.id, seconds: lastRun.seconds.toFixed(1) })
          ) : null}
        </div>
      </form>

      {!plan ? (
        <p className="meta">{results ? t('pl.plan.none') : t('pl.loading')}</p>
      ) : (
        <>
          <h3>
            {t('pl.plan.current', { id: plan.id, hazard: t(`pl.hazard.${plan.hazard}`) })}
            {plan.name ? ` · ${plan.name}` : ''}
          </h3>
          {s && (
            <dl className="figures pl-figs" data-testid="plan-summary">
              <dt>{t('pl.plan.population')}</dt>
              <dd>{t('pl.people', { count: s.population })}</dd>
              <dt>{t('pl.plan.covered')}</dt>
              <dd>{pct(s.coveredPopulationShare)}</dd>
              <dt>{t('pl.plan.unplacedPeople')}</dt>
              <dd>{t('pl.people', { count: s.unplacedPopulation })}</dd>
              <dt>{t('pl.plan.buildings')}</dt>
              <dd>{s.buildings}</dd>
              <dt>{t('pl.plan.sitesUsed')}</dt>
              <dd>{s.sites}</dd>
              <dt>{t('pl.plan.signs')}</dt>
              <dd>{s.signs}</dd>
              <dt>{t('pl.plan.guides')}</dt>
              <dd>{t('pl.plan.guidesValue', { assigned: s.guidesAssigned, needed: s.guidesNeeded })}</dd>
            </dl>
          )}

          <details open>
            <summary>{t('pl.plan.sitesTable', { count: sitesCov.length })}</summary>
            <div className="pl-table-wrap">
              <table className="pl-table" data-testid="sites-table">
                <thead>
                  <tr>
                    <th scope="col">{t('pl.plan.site')}</th>
                    <th scope="col">{t('pl.plan.level')}</th>
                    <th scope="col">{t('pl.plan.load')}</th>
                    <th scope="col">{t('pl.plan.capacity')}</th>
                    <th scope="col">{t('pl.plan.utilisation')}</th>
                    <th scope="col">{t('pl.plan.buildings')}</th>
                  </tr>
                </thead>
                <tbody>
                  {sitesCov.map((c) => (
                    <tr key={c.id} className={c.eligible ? undefined : 'muted'}>
                      <th scope="row">
                        <span className="swatch swatch-dot" style={{ ['--c' as string]: `rgb(${siteColor(c.id).join(',')})` }} aria-hidden="true" />
                        {c.name ?? `#${c.id}`}
                        {!c.eligible && <span className="meta"> ({t('pl.plan.notEligible', { why: c.why ?? '' })})</span>}
                      </th>
                      <td>{t(`pl.level.${c.level}`)}</td>
                      <td>{c.load}</td>
                      <td>{c.capacity}</td>
                      <td>
                        <meter min={0} max={1} high={0.9} optimum={0.5} value={Math.min(1, c.utilisation)} aria-hidden="true" /> {pct(c.utilisation)}
                      </td>
                      <td>{c.buildings}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </details>

          <details>
            <summary>{t('pl.plan.unplacedTable', { count: unplaced.length })}</summary>
            {unplaced.length === 0 ? (
              <p className="meta">{t('pl.plan.allPlaced')}</p>
            ) : (
              <div className="pl-table-wrap">
                <table className="pl-table" data-testid="unplaced-table">
                  <thead>
                    <tr>
                      <th scope="col">{t('pl.plan.building')}</th>
                      <th scope="col">{t('pl.plan.people')}</th>
                      <th scope="col">{t('pl.plan.reason')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {unplaced.map((u) => (
                      <tr key={u.id}>
                        <th scope="row">{results?.buildings.get(u.id)?.name ?? `#${u.id}`}</th>
                        <td>{u.population}</td>
                        <td>{t(`pl.reason.${u.reason}`, { defaultValue: u.reason })}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </details>

          <section className="panel-box" aria-labelledby={`${id}-bh`}>
            <h3 id={`${id}-bh`}>{t('pl.building.heading')}</h3>
            {!selection ? (
              <p className="pl-hint">{t('pl.building.hint')}</p>
            ) : (
              <div data-testid="building-detail" ref={detailRef}>
                <p>
                  <strong>{selection.building.name ?? `#${selection.building.id}`}</strong>
                  {selection.building.communityName ? ` · ${selection.building.communityName}` : ''} · {t('pl.people', { count: selection.building.population })}
                </p>
                {selection.site ? (
                  <dl className="figures pl-figs">
                    <dt>{t('pl.building.site')}</dt>
                    <dd>{selection.site.name}</dd>
                    <dt>{t('pl.building.distance')}</dt>
                    <dd>{formatDistance(t, selection.distanceM)}</dd>
                    <dt>{t('pl.building.minutes')}</dt>
                    <dd data-testid="building-minutes">
                      {t('pl.minutes', { count: roundMinutes(selection.minutes) ?? 0 })}
                      {selection.minutesVulnerable !== null && <> ({t('pl.building.vulnerable', { count: roundMinutes(selection.minutesVulnerable) ?? 0 })})</>}
                    </dd>
                  </dl>
                ) : (
                  <p className="warn">{t('pl.building.unplaced', { reason: t(`pl.reason.${selection.unplacedReason}`, { defaultValue: selection.unplacedReason ?? '' }) })}</p>
                )}
                {selection.steps.length > 0 && (
                  <ol className="pl-steps">
                    {selection.steps.map((st, i) => (
                      <li key={i}>{i18n.language === 'en' && st.instructionEn ? st.instructionEn : st.instruction}</li>
                    ))}
                  </ol>
                )}
                <h4>{t('pl.building.signs', { count: selection.signs.length })}</h4>
                <ul className="pl-compact">
                  {selection.signs.map((sg) => (
                    <li key={sg.id}>
                      <code>{sg.id}</code> {t(`pl.signKind.${sg.kind}`, { defaultValue: sg.kind })}: {signLine(t, sg)}
                    </li>
                  ))}
                </ul>
                <h4>{t('pl.building.guides')}</h4>
                {selection.guides.length === 0 ? (
                  <p className="meta">{t('pl.building.noGuides')}</p>
                ) : (
                  <ul className="pl-compact">
                    {selection.guides.map((g, i) => (
                      <li key={i}>
                        {t('pl.building.guideLine', { assigned: g.assigned, needed: g.needed })}
                        {g.names.length ? `：${g.names.join('、')}` : ''}
                      </li>
                    ))}
                  </ul>
                )}
                <div className="pl-row">
                  <button type="button" className="btn primary" onClick={() => openPoster(selection.building.id)}>
                    {t('pl.poster.open')}
                  </button>
                  <button type="button" className="btn small" onClick={clearSelection}>
                    {t('pl.close')}
                  </button>
                </div>
              </div>
            )}
          </section>

          <section className="panel-box" aria-labelledby={`${id}-wh`}>
            <h3 id={`${id}-wh`}>{t('pl.whatif.heading')}</h3>
            <label className="check">
              <input type="checkbox" checked={closeMode} onChange={(e) => setCloseMode(e.target.checked)} />
              <span>{t('pl.whatif.clickToClose')}</span>
            </label>
            <div className="pl-form">
              <label htmlFor={`${id}-scope`}>{t('pl.whatif.scope')}</label>
              <select id={`${id}-scope`} value={whatIfScope} onChange={(e) => setWhatIfScope(e.target.value ? Number(e.target.value) : '')}>
                <option value="">{t('pl.whatif.scopeAll')}</option>
                {(results?.communities ?? []).map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name}
                  </option>
                ))}
              </select>
            </div>
            {closures.length === 0 ? (
              <p className="pl-hint">{t('pl.whatif.hint')}</p>
            ) : (
              <ul className="pl-compact" aria-label={t('pl.whatif.closures')}>
                {closures.map((c) => (
                  <li key={`${c.type}-${c.id}`}>
                    {t(`pl.whatif.${c.type}`, { name: c.name ?? `#${c.id}` })}{' '}
                    <button type="button" className="btn small" onClick={() => setClosures(closures.filter((x) => x !== c))}>
                      {t('pl.whatif.reopen')}
                    </button>
                  </li>
                ))}
              </ul>
            )}
            <div className="pl-row">
              <button type="button" className="btn primary" disabled={running || !closures.length} onClick={runWhatIf}>
                {t('pl.whatif.run', { count: closures.length })}
              </button>
              {(closures.length > 0 || whatIf) && (
                <button
                  type="button"
                  className="btn small"
                  onClick={() => {
                    setClosures([]);
                    setWhatIf(null);
                  }}
                >
                  {t('pl.whatif.clear')}
                </button>
              )}
            </div>
            {whatIf && (
              <div data-testid="whatif-diff">
                <p>
                  <strong>{t('pl.whatif.result', { id: whatIf.planId, base: whatIf.baseId })}</strong>
                </p>
                <dl className="figures pl-figs">
                  <dt>{t('pl.whatif.buildingsChanging')}</dt>
                  <dd>{whatIf.diff.buildingsChangingSite}</dd>
                  <dt>{t('pl.whatif.peopleChanging')}</dt>
                  <dd>{t('pl.people', { count: whatIf.diff.peopleChangingSite })}</dd>
                  <dt>{t('pl.whatif.newlyUnplaced')}</dt>
                  <dd>{t('pl.people', { count: whatIf.diff.newlyUnplacedPeople })}</dd>
                  <dt>{t('pl.whatif.maxAdded')}</dt>
                  <dd>{t('pl.minutes', { count: Math.ceil(whatIf.diff.maxSecondsAdded / 60) })}</dd>
                </dl>
                {whatIf.diff.changes.length > 0 && (
                  <div className="pl-table-wrap">
                    <table className="pl-table">
                      <thead>
                        <tr>
                          <th scope="col">{t('pl.plan.building')}</th>
                          <th scope="col">{t('pl.plan.people')}</th>
                          <th scope="col">{t('pl.whatif.from')}</th>
                          <th scope="col">{t('pl.whatif.to')}</th>
                          <th scope="col">{t('pl.whatif.added')}</th>
                        </tr>
                      </thead>
                      <tbody>
                        {whatIf.diff.changes.map((c) => (
                          <tr key={c.buildingId} className={c.newlyUnplaced ? 'bad' : undefined}>
                            <th scope="row">{c.name ?? `#${c.buildingId}`}</th>
                            <td>{c.population}</td>
                            <td>{siteName(c.from)}</td>
                            <td>{siteName(c.to)}</td>
                            <td>{c.secondsAdded === null ? '—' : t('pl.seconds', { count: Math.round(c.secondsAdded) })}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
              </div>
            )}
          </section>
        </>
      )}
    </section>
  );
}

export function signLine(t: (k: string, o?: Record<string, unknown>) => string, sg: BuildingPlanFull['signs'][number]): string {
  const targets = (sg.arrows ?? []).map((a) => t('pl.poster.signTarget', { site: a.site, distance: a.distance_m, arrow: arrowChar(a.bearing) })).join('；');
  return sg.floor !== null && sg.floor !== undefined ? `${t('pl.poster.floor', { floor: sg.floor })} ${targets}` : targets;
}

/** An arrow character for a compass bearing (↓ when the sign says "go down / out"). */
export function arrowChar(bearing: number | null | undefined): string {
  if (bearing === null || bearing === undefined) return '↓';
  const arrows = ['↑', '↗', '→', '↘', '↓', '↙', '←', '↖'];
  return arrows[Math.round((((bearing % 360) + 360) % 360) / 45) % 8];
}
