/**
 * Operations overview for inspectors and admins (issue 5): work stations and the city's progress toward 80 % /
 * 100 %, the volunteer team rule per community, equipment missing or expired, and incident reports with the
 * 8-hour resolution clock (overdue highlighted). A road-blocked / site-unusable incident can be closed in a
 * what-if plan with one action (planners and admins: GET /api/incidents/:id/closure → POST /api/plans).
 * Everything else here is read-only: records are entered on the planner side.
 */
import { useEffect, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import {
  getClosure,
  getEquipmentStatus,
  getIncidents,
  getStationProgress,
  getStations,
  getTeamCheck,
  listPlans,
  planDiff,
  runWhatIf,
  type EquipmentStatus,
  type Incident,
  type Station,
  type StationProgress,
  type TeamCheck,
} from '../inspector/api.ts';
import { useAuth } from '../inspector/auth.tsx';
import { formatShare } from '../inspector/format.ts';
import { SortableTable, type Column } from '../inspector/SortableTable.tsx';

/** Loads once; renders a status line while loading and an alert on failure. */
function useLoad<T>(fn: (signal: AbortSignal) => Promise<T>, deps: unknown[] = []) {
  const [state, setState] = useState<{ data: T | null; error: string | null; loadedAt: number }>({ data: null, error: null, loadedAt: 0 });
  useEffect(() => {
    const ctrl = new AbortController();
    fn(ctrl.signal)
      .then((data) => setState({ data, error: null, loadedAt: Date.now() }))
      .catch((e: Error) => e.name !== 'AbortError' && setState({ data: null, error: e.message, loadedAt: Date.now() }));
    return () => ctrl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return state;
}

function Loaded<T>({ state, children }: { state: { data: T | null; error: string | null }; children: (d: T) => ReactNode }) {
  const { t } = useTranslation();
  if (state.error)
    return (
      <p role="alert" className="error">
        {t('ops.failed', { message: state.error })}
      </p>
    );
  if (!state.data) return <p role="status">{t('ops.loading')}</p>;
  return <>{children(state.data)}</>;
}

export function Operations() {
  const { t } = useTranslation();
  return (
    <div className="ops">
      <p className="meta">{t('ops.readOnlyNote')}</p>
      <Stations />
      <Teams />
      <Equipment />
      <Incidents />
    </div>
  );
}

function Stations() {
  const { t } = useTranslation();
  const progress = useLoad<StationProgress>((s) => getStationProgress(s));
  const stations = useLoad<{ stations: Station[] }>((s) => getStations(s));
  const cols: Column<Station>[] = [
    { key: 'community', label: t('ops.stations.col.community'), value: (s) => s.communityName },
    { key: 'name', label: t('ops.stations.col.name'), value: (s) => s.name },
    { key: 'head', label: t('ops.stations.col.head'), value: (s) => `${s.head.name}（${s.head.title}）` },
    { key: 'staff', label: t('ops.stations.col.staff'), value: (s) => s.staff.length, numeric: true },
    { key: 'contact', label: t('ops.stations.col.contact'), value: (s) => s.contact ?? '—' },
    { key: 'founded', label: t('ops.stations.col.founded'), value: (s) => s.foundedOn ?? '—' },
  ];
  return (
    <section aria-labelledby="ops-st-h">
      <h2 id="ops-st-h">{t('ops.stations.heading')}</h2>
      <Loaded state={progress}>
        {(p) => (
          <>
            <p data-testid="station-progress">
              <meter min={0} max={1} value={p.share} aria-hidden="true" /> {t('ops.stations.progress', { with: p.withStation, total: p.communities, share: formatShare(p.share) })}
            </p>
            <ul>
              {p.targets.map((g) => (
                <li key={g.label} className={g.met ? 'ok' : g.overdue ? 'bad' : undefined}>
                  {t('ops.stations.target', {
                    label: g.label,
                    state: g.met ? t('ops.stations.met') : `${t('ops.stations.needed', { count: g.stationsNeeded })}${g.overdue ? ` · ${t('ops.stations.overdue')}` : ''}`,
                  })}
                </li>
              ))}
            </ul>
            {p.communitiesWithout.length > 0 && (
              <p>
                {t('ops.stations.without')}: {p.communitiesWithout.map((c) => c.name).join('、')}
              </p>
            )}
          </>
        )}
      </Loaded>
      <Loaded state={stations}>
        {(d) => (d.stations.length ? <SortableTable caption={t('ops.stations.heading')} columns={cols} rows={d.stations} rowKey={(s) => s.id} /> : <p>{t('ops.stations.none')}</p>)}
      </Loaded>
    </section>
  );
}

function Teams() {
  const { t } = useTranslation();
  const st = useLoad((s) => getTeamCheck(s));
  const cols: Column<TeamCheck>[] = [
    { key: 'community', label: t('ops.teams.col.community'), value: (c) => c.communityName },
    { key: 'core', label: t('ops.teams.col.core'), value: (c) => c.core, numeric: true },
    { key: 'total', label: t('ops.teams.col.total'), value: (c) => c.total, numeric: true },
    { key: 'rule', label: t('ops.teams.col.rule'), value: (c) => t('ops.teams.rule', c.rule), static: true },
    {
      key: 'result',
      label: t('ops.teams.col.result'),
      value: (c) => (c.ok ? 1 : 0),
      render: (c) =>
        c.ok ? (
          <span className="ok">{t('ops.teams.ok')}</span>
        ) : (
          <span className="bad">{c.violations.map((v) => t(`ops.teams.violations.${v.code}`, { actual: v.actual, limit: v.limit, defaultValue: v.message })).join('；')}</span>
        ),
    },
  ];
  return (
    <section aria-labelledby="ops-tm-h">
      <h2 id="ops-tm-h">{t('ops.teams.heading')}</h2>
      <Loaded state={st}>
        {(d) => (
          <>
            <p>{t('ops.teams.summary', { violating: d.violating, communities: d.communities })}</p>
            <SortableTable caption={t('ops.teams.heading')} columns={cols} rows={d.checks} rowKey={(c) => c.communityId} rowClass={(c) => (c.ok ? undefined : 'row-warn')} testId="table-teams" />
          </>
        )}
      </Loaded>
    </section>
  );
}

function Equipment() {
  const { t } = useTranslation();
  const st = useLoad((s) => getEquipmentStatus(s));
  const cols: Column<EquipmentStatus>[] = [
    { key: 'community', label: t('ops.equipment.col.community'), value: (c) => c.communityName },
    { key: 'missing', label: t('ops.equipment.col.missing'), value: (c) => c.missing, numeric: true },
    { key: 'expired', label: t('ops.equipment.col.expired'), value: (c) => c.expired, numeric: true },
    { key: 'soon', label: t('ops.equipment.col.soon'), value: (c) => c.expiringSoon, numeric: true },
    { key: 'categories', label: t('ops.equipment.col.categories'), value: (c) => c.categoriesMissing.map((k) => t(`ops.equipment.categories.${k}`, { defaultValue: k })).join('、') || '—' },
    {
      key: 'result',
      label: t('ops.equipment.col.result'),
      value: (c) => (c.complete ? 1 : 0),
      render: (c) => <span className={c.complete ? 'ok' : 'bad'}>{c.complete ? t('ops.equipment.complete') : t('ops.equipment.incomplete')}</span>,
    },
  ];
  return (
    <section aria-labelledby="ops-eq-h">
      <h2 id="ops-eq-h">{t('ops.equipment.heading')}</h2>
      <Loaded state={st}>
        {(d) => (
          <>
            <p>{t('ops.equipment.summary', { complete: d.complete, communities: d.communities, today: d.today })}</p>
            <SortableTable caption={t('ops.equipment.heading')} columns={cols} rows={d.statuses} rowKey={(c) => c.communityId} rowClass={(c) => (c.complete ? undefined : 'row-warn')} testId="table-equipment" />
          </>
        )}
      </Loaded>
    </section>
  );
}

/** "3 小时 20 分" from seconds (absolute value). */
function hm(t: (k: string, o?: any) => string, s: number) {
  const a = Math.abs(Math.round(s / 60));
  return t('ops.incidents.hm', { h: Math.floor(a / 60), m: a % 60 });
}

function Incidents() {
  const { t, i18n } = useTranslation();
  const { user } = useAuth();
  const canClose = user?.role === 'admin' || user?.role === 'planner';
  const st = useLoad((s) => getIncidents(s));
  const [tick, setTick] = useState(Date.now());
  const [results, setResults] = useState<Record<number, { busy?: boolean; text?: string; error?: string }>>({});
  useEffect(() => {
    const id = setInterval(() => setTick(Date.now()), 30_000);
    return () => clearInterval(id);
  }, []);
  const elapsed = st.loadedAt ? Math.max(0, (tick - st.loadedAt) / 1000) : 0;

  const closeInWhatIf = async (inc: Incident) => {
    setResults((r) => ({ ...r, [inc.id]: { busy: true } }));
    try {
      const closure = await getClosure(inc.id);
      const { plans } = await listPlans();
      const base = plans.find((p) => p.baselineId === null) ?? plans[0];
      if (!base) throw new Error(t('insp.noPlan'));
      const kind = t(`ops.incidents.kinds.${inc.kind}`, { defaultValue: inc.kind });
      const made = await runWhatIf(base.id, { edgeIds: closure.closedEdgeIds, siteIds: closure.closedSiteIds }, base.hazard, t('ops.incidents.whatIfName', { id: inc.id, kind }));
      const diff = await planDiff(base.id, made.id);
      setResults((r) => ({
        ...r,
        [inc.id]: {
          text: t('ops.incidents.closeDone', {
            id: made.id,
            changing: diff.peopleChangingSite,
            unplaced: diff.newlyUnplacedPeople,
            minutes: (diff.maxSecondsAdded / 60).toFixed(1),
          }),
        },
      }));
    } catch (e) {
      setResults((r) => ({ ...r, [inc.id]: { error: t('ops.incidents.closeFailed', { message: (e as Error).message }) } }));
    }
  };

  const clock = (i: Incident) => {
    if (i.status === 'resolved') return i.resolvedLate ? t('ops.incidents.resolvedLate') : t('ops.incidents.resolvedOnTime');
    const left = i.remainingS - elapsed;
    return left >= 0 ? t('ops.incidents.remaining', { time: hm(t, left) }) : t('ops.incidents.overdueBy', { time: hm(t, left), level: Math.max(1, i.escalationLevel) });
  };
  const cols: Column<Incident>[] = [
    { key: 'id', label: t('ops.incidents.col.id'), value: (i) => i.id, numeric: true },
    { key: 'kind', label: t('ops.incidents.col.kind'), value: (i) => t(`ops.incidents.kinds.${i.kind}`, { defaultValue: i.kind }) },
    { key: 'status', label: t('ops.incidents.col.status'), value: (i) => t(`ops.incidents.statuses.${i.status}`, { defaultValue: i.status }) },
    { key: 'reported', label: t('ops.incidents.col.reported'), value: (i) => i.reportedAt, render: (i) => new Date(i.reportedAt).toLocaleString(i18n.language) },
    {
      key: 'clock',
      label: t('ops.incidents.col.clock'),
      value: (i) => (i.status === 'resolved' ? Number.POSITIVE_INFINITY : i.remainingS),
      render: (i) => <span className={i.overdue || (i.status !== 'resolved' && i.remainingS - elapsed < 0) ? 'bad' : undefined}>{clock(i)}</span>,
      numeric: true,
    },
    {
      key: 'action',
      label: t('ops.incidents.col.action'),
      value: () => null,
      static: true,
      render: (i) =>
        i.closable && i.status !== 'resolved' ? (
          <div>
            <button
              type="button"
              className="btn small"
              disabled={!canClose || results[i.id]?.busy}
              title={canClose ? undefined : t('ops.incidents.needsPlanner')}
              onClick={() => void closeInWhatIf(i)}
            >
              {results[i.id]?.busy ? t('ops.incidents.closing') : t('ops.incidents.closeWhatIf')}
            </button>
            {!canClose && <div className="meta">{t('ops.incidents.needsPlanner')}</div>}
            {results[i.id]?.text && <div role="status">{results[i.id]!.text}</div>}
            {results[i.id]?.error && (
              <div role="alert" className="error">
                {results[i.id]!.error}
              </div>
            )}
          </div>
        ) : null,
    },
  ];
  return (
    <section aria-labelledby="ops-in-h">
      <h2 id="ops-in-h">{t('ops.incidents.heading')}</h2>
      <Loaded state={st}>
        {(d) => {
          const open = d.incidents.filter((i) => i.status !== 'resolved');
          const overdue = open.filter((i) => i.overdue || i.remainingS - elapsed < 0);
          return (
            <>
              <p>{t('ops.incidents.summary', { count: d.incidents.length, open: open.length, overdue: overdue.length })}</p>
              {d.incidents.length ? (
                <SortableTable
                  caption={t('ops.incidents.heading')}
                  columns={cols}
                  rows={d.incidents}
                  rowKey={(i) => i.id}
                  initialSort={{ key: 'clock', dir: 'asc' }}
                  rowClass={(i) => (i.status !== 'resolved' && (i.overdue || i.remainingS - elapsed < 0) ? 'row-bad' : undefined)}
                  testId="table-incidents"
                />
              ) : (
                <p>{t('ops.incidents.none')}</p>
              )}
            </>
          );
        }}
      </Loaded>
    </section>
  );
}
