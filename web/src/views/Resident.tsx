import { useEffect, useMemo, useRef, useState, type Ref } from 'react';
import { useTranslation } from 'react-i18next';
import {
  bboxOf,
  buildingPlan,
  nearest,
  type BBox,
  type BuildingPlan,
  type NearestAnswer,
  type SearchHit,
} from '../api/client.ts';
import { SearchBox } from '../components/SearchBox.tsx';
import { Directions, WhatToBring } from '../components/Directions.tsx';
import { Legend } from '../components/LayerPanel.tsx';
import { MapView } from '../map/MapView.tsx';
import { routeLayers } from '../map/routeLayers.ts';
import { useData } from '../data.tsx';
import { Link, navigate, useTitle } from '../router.tsx';
import { formatDistance, roundMinutes } from '../format.ts';

type Query = { kind: 'point'; lon: number; lat: number; label?: string } | { kind: 'building'; id: string };

type Answer =
  | { kind: 'nearest'; data: NearestAnswer; label?: string }
  | { kind: 'building'; data: BuildingPlan }
  | null;

/** The resident page: `/` (search / locate me) and `/building/:id` (straight to that building's answer). */
export function Resident({ buildingId }: { buildingId?: string }) {
  const { t } = useTranslation();
  const { dataVersion } = useData();
  const [query, setQuery] = useState<Query | null>(buildingId ? { kind: 'building', id: buildingId } : null);
  const [answer, setAnswer] = useState<Answer>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [locating, setLocating] = useState(false);
  const [selected, setSelected] = useState(0);
  const answerRef = useRef<HTMLHeadingElement>(null);
  useTitle(answer?.kind === 'building' ? `${answer.data.building.name} · ${t('app.title')}` : t('app.title'));

  useEffect(() => {
    setQuery(buildingId ? { kind: 'building', id: buildingId } : null);
    if (!buildingId) setAnswer(null);
  }, [buildingId]);

  useEffect(() => {
    if (!query) return;
    const ctrl = new AbortController();
    setBusy(true);
    setError(null);
    setSelected(0);
    const p =
      query.kind === 'building'
        ? buildingPlan(query.id, ctrl.signal).then((data): Answer => ({ kind: 'building', data }))
        : nearest(query.lon, query.lat, 3, ctrl.signal).then((data): Answer => ({ kind: 'nearest', data, label: query.label }));
    p.then((a) => {
      setAnswer(a);
      // Move focus to the answer so keyboard and screen-reader users land on it.
      requestAnimationFrame(() => answerRef.current?.focus());
    })
      .catch((e: Error) => {
        if (e.name !== 'AbortError') {
          setAnswer(null);
          setError(e.message);
        }
      })
      .finally(() => {
        if (!ctrl.signal.aborted) setBusy(false);
      });
    return () => ctrl.abort();
  }, [query]);

  const choose = (hit: SearchHit) => {
    if (hit.type === 'building') navigate(`/building/${encodeURIComponent(String(hit.id))}`);
    else setQuery({ kind: 'point', lon: hit.center[0], lat: hit.center[1], label: hit.name });
  };

  const locate = () => {
    if (!('geolocation' in navigator)) {
      setError(t('resident.locateUnsupported'));
      return;
    }
    setLocating(true);
    setError(null);
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        setLocating(false);
        setQuery({ kind: 'point', lon: pos.coords.longitude, lat: pos.coords.latitude, label: t('map.you') });
      },
      (err) => {
        setLocating(false);
        setError(t('resident.locateDenied', { message: err.message }));
      },
      { enableHighAccuracy: true, timeout: 15_000, maximumAge: 60_000 },
    );
  };

  const { layers, focus } = useMemo(() => {
    if (!answer) return { layers: [], focus: null as BBox | null };
    if (answer.kind === 'building') {
      const r = answer.data.route;
      return { layers: routeLayers([{ id: 'plan', route: r, selected: true }]), focus: bboxOf(r) };
    }
    const routes = answer.data.sites.map((s, i) => ({ id: String(s.site.id), route: s.route, selected: i === selected }));
    const from: [number, number] = [answer.data.from.lon, answer.data.from.lat];
    const sel = answer.data.sites[selected]?.route;
    return { layers: routeLayers(routes, from), focus: bboxOf(sel ? { type: 'LineString', coordinates: [from, ...sel.coordinates] } : { type: 'Point', coordinates: from }) };
  }, [answer, selected]);

  return (
    <div className="page resident">
      <section className="side" aria-labelledby="resident-h">
        <h1 id="resident-h">{t('resident.heading')}</h1>
        {!buildingId && <p className="intro">{t('resident.intro')}</p>}
        {buildingId ? (
          <p>
            <Link href="/" className="btn">
              ← {t('resident.back')}
            </Link>
          </p>
        ) : (
          <>
            <SearchBox onChoose={choose} />
            <button type="button" className="btn locate" onClick={locate} disabled={locating} aria-busy={locating}>
              <span aria-hidden="true">◎ </span>
              {locating ? t('resident.locating') : t('resident.locate')}
            </button>
          </>
        )}
        <div className="answer" aria-live="polite" aria-busy={busy}>
          {busy && <p role="status">{t('resident.loadingAnswer')}</p>}
          {error && (
            <p role="alert" className="error">
              {t('app.error', { message: error })}
            </p>
          )}
          {!busy && answer?.kind === 'building' && <BuildingAnswer plan={answer.data} headingRef={answerRef} />}
          {!busy && answer?.kind === 'nearest' && (
            <NearestAnswerView answer={answer.data} selected={selected} onSelect={setSelected} headingRef={answerRef} />
          )}
        </div>
        {answer && <WhatToBring />}
      </section>
      <section className="map-pane" aria-label={t('map.label')}>
        {dataVersion !== null && <MapView dataVersion={dataVersion} deckLayers={layers} focus={focus} />}
        {answer && (
          <div className="map-legend-mini">
            <Legend showRoute />
          </div>
        )}
      </section>
    </div>
  );
}

function Figures({ distanceM, minutes, minutesVulnerable }: { distanceM: number | null; minutes: number | null; minutesVulnerable: number | null }) {
  const { t } = useTranslation();
  const m = roundMinutes(minutes);
  const mv = roundMinutes(minutesVulnerable);
  return (
    <dl className="figures">
      <div>
        <dt>{t('resident.distance')}</dt>
        <dd data-testid="distance">{formatDistance(t, distanceM)}</dd>
      </div>
      <div>
        <dt>{t('resident.minutes')}</dt>
        <dd data-testid="minutes">{m === null ? '—' : t('resident.minutesValue', { count: m })}</dd>
      </div>
      {mv !== null && <p className="vulnerable">{t('resident.minutesVulnerable', { count: mv })}</p>}
    </dl>
  );
}

function BuildingAnswer({ plan, headingRef }: { plan: BuildingPlan; headingRef: Ref<HTMLHeadingElement> }) {
  const { t } = useTranslation();
  const b = plan.building;
  const hazard = plan.hazard ? ((t('resident.hazards', { returnObjects: true }) as Record<string, string>)[plan.hazard] ?? plan.hazard) : null;
  return (
    <article className="card" aria-labelledby="answer-h">
      <h2 id="answer-h" tabIndex={-1} ref={headingRef}>
        {t('resident.planHeading', { name: b.name })}
      </h2>
      <p className="meta">
        {b.communityName && <span>{t('resident.community', { name: b.communityName })}</span>}
        {b.levels ? <span>{t('resident.levels', { count: b.levels })}</span> : null}
        {b.population ? <span>{t('resident.population', { count: Math.round(b.population) })}</span> : null}
        {hazard && <span>{t('resident.hazard', { hazard })}</span>}
      </p>
      {plan.site ? (
        <>
          <p className="site-name">
            <span className="badge">{t(`map.kind.${plan.site.kind}`, { defaultValue: plan.site.kind })}</span> <strong>{plan.site.name}</strong>
          </p>
          <Figures distanceM={plan.distanceM} minutes={plan.minutes} minutesVulnerable={plan.minutesVulnerable} />
          <Directions steps={plan.steps} destination={plan.site.name} />
          {plan.signs.length > 0 && <p>{t('resident.signs', { count: plan.signs.length })}</p>}
        </>
      ) : (
        <p className="warn">
          {t('resident.noSite')}
          {plan.unplacedReason && (
            <>
              <br />
              {t('resident.unplaced', { reason: plan.unplacedReason })}
            </>
          )}
        </p>
      )}
      <h3>{t('resident.guides')}</h3>
      {plan.guides.length ? (
        <ul>
          {plan.guides.map((g, i) => (
            <li key={i}>{t('resident.guideItem', { name: g.name, role: g.role })}</li>
          ))}
        </ul>
      ) : (
        <p>{t('resident.noGuides')}</p>
      )}
    </article>
  );
}

function NearestAnswerView({
  answer,
  selected,
  onSelect,
  headingRef,
}: {
  answer: NearestAnswer;
  selected: number;
  onSelect: (i: number) => void;
  headingRef: Ref<HTMLHeadingElement>;
}) {
  const { t } = useTranslation();
  if (!answer.sites.length)
    return (
      <h2 id="answer-h" tabIndex={-1} ref={headingRef}>
        {t('resident.noSite')}
      </h2>
    );
  const cur = answer.sites[Math.min(selected, answer.sites.length - 1)];
  return (
    <article className="card" aria-labelledby="answer-h">
      <h2 id="answer-h" tabIndex={-1} ref={headingRef}>
        {t('resident.nearestHeading')}
      </h2>
      {answer.from.snapDistanceM > 30 && <p className="meta">{t('resident.snap', { distance: formatDistance(t, answer.from.snapDistanceM) })}</p>}
      <ol className="options">
        {answer.sites.map((s, i) => (
          <li key={String(s.site.id)}>
            <button type="button" className={`option${i === selected ? ' selected' : ''}`} aria-pressed={i === selected} onClick={() => onSelect(i)}>
              <span className="option-name">
                <span className="badge">{t(`map.kind.${s.site.kind}`, { defaultValue: s.site.kind })}</span> {s.site.name}
              </span>
              <span className="option-figs">
                {formatDistance(t, s.distanceM)} · {t('resident.minutesValue', { count: roundMinutes(s.minutes) ?? 0 })}
              </span>
            </button>
          </li>
        ))}
      </ol>
      <h3>{cur.site.name}</h3>
      <p className="meta">
        {cur.site.level && <span>{t(`resident.level.${cur.site.level}`, { defaultValue: cur.site.level })}</span>}
        {cur.site.capacity ? <span>{t('resident.capacity', { count: Math.round(cur.site.capacity) })}</span> : null}
        {cur.site.status && <span>{t(`resident.status.${cur.site.status}`, { defaultValue: cur.site.status })}</span>}
      </p>
      <Figures distanceM={cur.distanceM} minutes={cur.minutes} minutesVulnerable={cur.minutesVulnerable} />
      <Directions steps={cur.steps} destination={cur.site.name} />
    </article>
  );
}
