/**
 * The planner's workbench: one map (MapLibre + deck.gl results + terra-draw), and panels for zones, sites, plans
 * and exports. Map clicks: on the plan tab a building shows its route, minutes, signs and guides; with "close by
 * clicking" a road or site joins the what-if closures; on the sites tab a site opens its form.
 */
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { MapMouseEvent } from 'maplibre-gl';
import type { Point, Polygon } from 'geojson';
import type { SearchHit, BBox } from '../api/client.ts';
import { LayerSwitcher, Legend } from '../components/LayerPanel.tsx';
import { SearchBox } from '../components/SearchBox.tsx';
import { ALL_VISIBLE, MapView, type Visibility } from '../map/MapView.tsx';
import type { MapLibreMap } from '../map/maplibre.ts';
import { useData } from '../data.tsx';
import { buildingPlanFull, listSites, PlannerApiError, RESULT_LAYERS, type BuildingPlanFull, type SiteListItem } from './api.ts';
import { Ctx, errorText, refreshTileSources, type Notice, type PlannerCtx } from './context.ts';
import { draftReducer, emptyDraft, features, type Draft, type DraftAction } from './draft.ts';
import { createDrawing, outlineVertices, type Drawing, type DrawMode } from './drawing.ts';
import { ExportPanel } from './ExportPanel.tsx';
import { PlanPanel, type Closure, type WhatIf } from './PlanPanel.tsx';
import { loadPoster, PosterDialog, type PosterRequest } from './Posters.tsx';
import { FLOW_COLOR, GUIDE_OK, GUIDE_SHORT, planResultLayers, RESULTS_DEFAULT, SIGN_COLOR, SITE_PALETTE, UNPLACED, CLOSED_COLOR, type ResultVisibility } from './resultLayers.ts';
import { loadResults, type Results } from './results.ts';
import { defaultSiteForm, SitesPanel } from './SitesPanel.tsx';
import { loadZones, ZonesPanel } from './ZonesPanel.tsx';
import type { Session } from './Auth.tsx';

export const TABS = ['zones', 'sites', 'plan', 'export'] as const;
export type Tab = (typeof TABS)[number];

const BUILDING_LAYERS = ['buildings-fill', 'buildings-3d'];
const SITE_LAYERS = ['sites-fill', 'sites-point'];
const ROAD_LAYERS = ['roads-major', 'roads-minor', 'roads-service', 'roads-footway', 'roads-other'];

const rgb = (c: readonly number[]) => `rgb(${c.slice(0, 3).join(',')})`;

function ResultSwitcher({ visible, onChange }: { visible: ResultVisibility; onChange: (v: ResultVisibility) => void }) {
  const { t } = useTranslation();
  return (
    <fieldset className="panel-box layer-switcher">
      <legend>{t('pl.layers.results')}</legend>
      {RESULT_LAYERS.map((l) => (
        <label key={l} className="check">
          <input type="checkbox" checked={visible[l]} onChange={(e) => onChange({ ...visible, [l]: e.target.checked })} />
          <span>{t(`pl.layer.${l}`)}</span>
        </label>
      ))}
    </fieldset>
  );
}

function ResultLegend() {
  const { t } = useTranslation();
  return (
    <section className="panel-box legend" aria-labelledby="pl-legend-h">
      <h2 id="pl-legend-h">{t('pl.legend.heading')}</h2>
      <ul>
        <li>
          <span className="pl-palette" aria-hidden="true">
            {SITE_PALETTE.slice(0, 6).map((c, i) => (
              <span key={i} style={{ background: rgb(c) }} />
            ))}
          </span>
          {t('pl.legend.buildings')}
        </li>
        <li>
          <span className="swatch swatch-box" style={{ ['--c' as string]: rgb(UNPLACED) }} aria-hidden="true" />
          {t('pl.legend.unplaced')}
        </li>
        <li>
          <span className="pl-flow-swatch" style={{ ['--c' as string]: rgb(FLOW_COLOR) }} aria-hidden="true" />
          {t('pl.legend.flows')}
        </li>
        <li>
          <span className="swatch swatch-dot" style={{ ['--c' as string]: rgb(SIGN_COLOR) }} aria-hidden="true" />
          {t('pl.legend.signs')}
        </li>
        <li>
          <span className="swatch swatch-dot" style={{ ['--c' as string]: rgb(GUIDE_OK) }} aria-hidden="true" />
          {t('pl.legend.guidesOk')}
        </li>
        <li>
          <span className="swatch swatch-dot" style={{ ['--c' as string]: rgb(GUIDE_SHORT) }} aria-hidden="true" />
          {t('pl.legend.guidesShort')}
        </li>
        <li>
          <span className="swatch swatch-line" style={{ ['--c' as string]: rgb(CLOSED_COLOR) }} aria-hidden="true" />
          {t('pl.legend.closed')}
        </li>
      </ul>
    </section>
  );
}

export function Workbench({ session }: { session: Session }) {
  const { t } = useTranslation();
  const user = session.user!;
  const { dataVersion } = useData();
  const [map, setMap] = useState<MapLibreMap | null>(null);
  const [drawing, setDrawing] = useState<Drawing | null>(null);
  const [tab, setTab] = useState<Tab>('plan');
  const [visible, setVisible] = useState<Visibility>(ALL_VISIBLE);
  const [extrude, setExtrude] = useState(false);
  const [focus, setFocus] = useState<BBox | null>(null);
  const [resultVisible, setResultVisible] = useState<ResultVisibility>(RESULTS_DEFAULT);
  const [sites, setSites] = useState<SiteListItem[]>([]);
  const [zonesDraft, zonesDispatch] = useReducer(draftReducer, undefined, emptyDraft);
  const [sitesDraft, sitesDispatch] = useReducer(draftReducer, undefined, emptyDraft);
  const [mode, setMode] = useState<DrawMode>('static');
  const [selectedZone, setSelectedZone] = useState<string | null>(null);
  const [selectedNewSite, setSelectedNewSite] = useState<string | null>(null);
  const [siteId, setSiteId] = useState<number | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [results, setResults] = useState<Results | null>(null);
  const [selection, setSelection] = useState<BuildingPlanFull | null>(null);
  const [closeMode, setCloseMode] = useState(false);
  const [closures, setClosures] = useState<Closure[]>([]);
  const [whatIf, setWhatIf] = useState<WhatIf | null>(null);
  const [poster, setPoster] = useState<PosterRequest | null>(null);

  const fail = useCallback(
    (e: unknown) => {
      if (e instanceof PlannerApiError && e.status === 401) session.expired();
      setNotice({ kind: e instanceof PlannerApiError && e.status === 409 ? 'conflict' : 'error', text: errorText(t, e) });
    },
    [t, session],
  );
  const reloadSites = useCallback(async () => {
    try {
      setSites(await listSites());
    } catch (e) {
      fail(e);
    }
  }, [fail]);
  const reloadResults = useCallback(async () => {
    try {
      setResults(await loadResults());
    } catch (e) {
      fail(e);
    }
  }, [fail]);

  useEffect(() => {
    void reloadSites();
    void reloadResults();
    loadZones(zonesDispatch).catch(fail);
  }, []);

  // terra-draw lives as long as the map.
  const cbRef = useRef({ onDrawn: (_k: string, _g: Polygon | Point, _h: 'created' | 'edited') => {}, onSelect: (_k: string | null) => {} });
  useEffect(() => {
    if (!map) return;
    let d: Drawing;
    try {
      d = createDrawing(map, { onDrawn: (k, g, h) => cbRef.current.onDrawn(k, g, h), onSelect: (k) => cbRef.current.onSelect(k) });
    } catch (e) {
      fail(e);
      return;
    }
    setDrawing(d);
    return () => {
      d.destroy();
      setDrawing(null);
    };
  }, [map]);

  const tabRef = useRef(tab);
  tabRef.current = tab;
  const draftsRef = useRef<{ zones: Draft; sites: Draft }>({ zones: zonesDraft, sites: sitesDraft });
  draftsRef.current = { zones: zonesDraft, sites: sitesDraft };
  const zoneCount = useRef(0);
  cbRef.current = {
    onDrawn(key, geometry, how) {
      const which = tabRef.current;
      const { zones, sites: sd } = draftsRef.current;
      if (how === 'edited') {
        const dispatch: (a: DraftAction) => void = key in zones.stack[zones.index].graph ? zonesDispatch : key in sd.stack[sd.index].graph ? sitesDispatch : () => {};
        dispatch({ type: 'geometry', key, geometry });
        return;
      }
      if (which === 'zones' && geometry.type === 'Polygon') {
        zoneCount.current = features(zones, 'zone').length + 1;
        zonesDispatch({
          type: 'add',
          feature: { key, kind: 'zone', serverId: null, version: null, geometry, props: { name: t('pl.zones.newName', { n: zoneCount.current }), siteIds: [], hazard: null, notes: null } },
        });
        setSelectedZone(key);
        setMode('select');
      } else if (which === 'sites') {
        sitesDispatch({ type: 'add', feature: { key, kind: 'site', serverId: null, version: null, geometry, props: { ...defaultSiteForm(geometry.type === 'Point') } } });
        setSelectedNewSite(key);
        setSiteId(null);
        setMode('select');
      }
    },
    onSelect(key) {
      if (!key) return;
      if (tabRef.current === 'zones') setSelectedZone(key);
      if (tabRef.current === 'sites') setSelectedNewSite(key);
    },
  };

  // The draft on the map: the zones on the zones tab, new sites on the sites tab.
  useEffect(() => {
    if (!drawing) return;
    drawing.sync(tab === 'zones' ? features(zonesDraft) : tab === 'sites' ? features(sitesDraft) : []);
  }, [drawing, tab, zonesDraft, sitesDraft]);
  useEffect(() => {
    drawing?.setMode(tab === 'zones' || tab === 'sites' ? mode : 'static');
  }, [drawing, tab, mode]);
  useEffect(() => {
    if (!drawing || mode !== 'select') return;
    drawing.select(tab === 'zones' ? selectedZone : tab === 'sites' ? selectedNewSite : null);
  }, [drawing, mode, tab, selectedZone, selectedNewSite, zonesDraft, sitesDraft]);
  useEffect(() => {
    if (!drawing || !results) return;
    drawing.setSnapTargets(outlineVertices([...results.communityFc.features.map((f) => f.geometry), ...sites.map((s) => s.geometry)]));
  }, [drawing, results, sites]);

  // Keyboard undo / redo for the draft of the current tab (not while typing in a field).
  useEffect(() => {
    const k = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || (tab !== 'zones' && tab !== 'sites')) return;
      const el = e.target as HTMLElement | null;
      if (el && /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName)) return;
      const key = e.key.toLowerCase();
      const dispatch = tab === 'zones' ? zonesDispatch : sitesDispatch;
      if (key === 'z' && !e.shiftKey) dispatch({ type: 'undo' });
      else if ((key === 'z' && e.shiftKey) || key === 'y') dispatch({ type: 'redo' });
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', k);
    return () => window.removeEventListener('keydown', k);
  }, [tab]);

  const selectBuilding = useCallback(
    async (id: number) => {
      try {
        const b = await buildingPlanFull(id, results?.plan?.id ?? null);
        setSelection(b);
        setTab('plan');
      } catch (e) {
        fail(e);
      }
    },
    [results, fail],
  );

  // Map clicks (outside drawing).
  const clickRef = useRef<(e: MapMouseEvent) => void>(() => {});
  clickRef.current = (e) => {
    if (!map || typeof map.queryRenderedFeatures !== 'function') return;
    if ((tab === 'zones' || tab === 'sites') && mode !== 'static') return;
    const box: [[number, number], [number, number]] = [
      [e.point.x - 5, e.point.y - 5],
      [e.point.x + 5, e.point.y + 5],
    ];
    const q = (layers: string[]) => {
      const ls = layers.filter((l) => map.getLayer(l));
      return ls.length ? map.queryRenderedFeatures(box, { layers: ls }) : [];
    };
    if (tab === 'plan' && closeMode) {
      const site = q(SITE_LAYERS)[0];
      const road = site ? undefined : q(ROAD_LAYERS)[0];
      const f = site ?? road;
      if (!f) return;
      const c: Closure = { type: site ? 'site' : 'road', id: Number(f.properties?.id ?? f.id), name: (f.properties?.name as string) || null, geometry: site ? null : (f.geometry as GeoJSON.Geometry) };
      setClosures((cs) => (cs.some((x) => x.type === c.type && x.id === c.id) ? cs.filter((x) => !(x.type === c.type && x.id === c.id)) : [...cs, c]));
      return;
    }
    if (tab === 'sites') {
      const s = q(SITE_LAYERS)[0];
      if (s) {
        setSelectedNewSite(null);
        setSiteId(Number(s.properties?.id ?? s.id));
      }
      return;
    }
    if (tab === 'plan' || tab === 'export') {
      const b = q(BUILDING_LAYERS)[0];
      if (b) void selectBuilding(Number(b.properties?.id ?? b.id));
    }
  };
  useEffect(() => {
    if (!map) return;
    const h = (e: MapMouseEvent) => clickRef.current(e);
    map.on('click', h);
    return () => {
      map.off?.('click', h);
    };
  }, [map]);

  const changedBuildingIds = useMemo(() => new Set((whatIf?.diff.changes ?? []).map((c) => c.buildingId)), [whatIf]);
  const deckLayers = useMemo(
    () =>
      planResultLayers({
        data: results?.data ?? {},
        visible: resultVisible,
        changedBuildingIds,
        closedRoads: closures.filter((c) => c.type === 'road' && c.geometry).map((c) => c.geometry!),
        closedSites: closures.filter((c) => c.type === 'site').map((c) => sites.find((s) => s.id === c.id)?.center).filter((p): p is [number, number] => !!p),
        selectedRoute: tab === 'plan' ? (selection?.route ?? null) : null,
      }),
    [results, resultVisible, changedBuildingIds, closures, sites, selection, tab],
  );

  const ctx: PlannerCtx = {
    user,
    map,
    sites,
    reloadSites,
    notify: setNotice,
    refreshTiles: async () => {
      await refreshTileSources(map);
    },
    fail,
    focus: setFocus,
  };

  const choose = (hit: SearchHit) => {
    const [x, y] = hit.center;
    const d = hit.type === 'community' ? 0.004 : 0.0015;
    setFocus([x - d, y - d, x + d, y + d]);
    if (hit.type === 'building') void selectBuilding(Number(hit.id));
    if (hit.type === 'site') {
      setTab('sites');
      setSiteId(Number(hit.id));
    }
  };

  const buildingGeom = (id: number) => results?.data.plan_buildings?.features.find((f) => Number(f.properties?.building_id) === id)?.geometry ?? null;
  const loadOne = useCallback((id: number) => loadPoster(id, { planId: results?.plan?.id ?? null, buildingGeom: buildingGeom(id), sites }), [results, sites]);
  const openPoster = (id: number) => {
    const name = results?.buildings.get(id)?.name ?? selection?.building.name ?? `#${id}`;
    setPoster({ buildingIds: [id], title: t('pl.poster.dialogOne', { name }) });
  };
  const printCommunity = (cid: number, name: string) => {
    const ids = (results?.data.plan_buildings?.features ?? [])
      .map((f) => Number(f.properties?.building_id))
      .filter((b) => results?.buildings.get(b)?.communityId === cid)
      .sort((a, b) => (results?.buildings.get(a)?.name ?? '').localeCompare(results?.buildings.get(b)?.name ?? '', 'zh-CN', { numeric: true }));
    setPoster({ buildingIds: ids, title: t('pl.poster.dialogMany', { name, count: ids.length }) });
  };

  const switchTab = (next: Tab) => {
    setMode('static');
    setCloseMode(false);
    setTab(next);
  };

  return (
    <Ctx.Provider value={ctx}>
      <div className="page map-page planner">
        <section className="side" aria-labelledby="page-h">
          <div className="pl-userbar">
            <h1 id="page-h">{t('pl.heading')}</h1>
            <span className="meta">{t('pl.auth.signedInAs', { name: user.username, role: t(`pl.role.${user.role}`) })}</span>
            <button type="button" className="btn small" onClick={() => void session.signOut()}>
              {t('pl.auth.signOut')}
            </button>
          </div>
          {notice && (
            <div className={`pl-notice ${notice.kind}`} role={notice.kind === 'ok' ? 'status' : 'alert'} data-testid="notice">
              {notice.text}{' '}
              <button type="button" className="btn small" onClick={() => setNotice(null)} aria-label={t('pl.dismiss')}>
                ×
              </button>
            </div>
          )}
          <SearchBox onChoose={choose} />
          <div className="pl-tabs" role="tablist" aria-label={t('pl.tabs.label')}>
            {TABS.map((x) => (
              <button key={x} type="button" role="tab" id={`pl-tab-${x}`} aria-controls={`pl-tabpanel-${x}`} aria-selected={tab === x} className={`pl-tab${tab === x ? ' selected' : ''}`} onClick={() => switchTab(x)}>
                {t(`pl.tabs.${x}`)}
              </button>
            ))}
          </div>
          <div role="tabpanel" id={`pl-tabpanel-${tab}`} aria-labelledby={`pl-tab-${tab}`}>
            {tab === 'zones' && (
              <ZonesPanel draft={zonesDraft} dispatch={zonesDispatch} mode={mode} setMode={setMode} selected={selectedZone} setSelected={setSelectedZone} />
            )}
            {tab === 'sites' && (
              <SitesPanel
                draft={sitesDraft}
                dispatch={sitesDispatch}
                mode={mode}
                setMode={setMode}
                selected={selectedNewSite}
                setSelected={setSelectedNewSite}
                siteId={siteId}
                setSiteId={(id) => {
                  setSiteId(id);
                  if (id !== null) setSelectedNewSite(null);
                }}
              />
            )}
            {tab === 'plan' && (
              <PlanPanel
                results={results}
                reloadResults={reloadResults}
                selection={selection}
                clearSelection={() => setSelection(null)}
                closeMode={closeMode}
                setCloseMode={setCloseMode}
                closures={closures}
                setClosures={setClosures}
                whatIf={whatIf}
                setWhatIf={setWhatIf}
                openPoster={openPoster}
              />
            )}
            {tab === 'export' && <ExportPanel results={results} sites={sites} printCommunity={printCommunity} />}
          </div>
          <LayerSwitcher visible={visible} onChange={setVisible} extrude={extrude} onExtrude={setExtrude} />
          <ResultSwitcher visible={resultVisible} onChange={setResultVisible} />
          <ResultLegend />
          <Legend showRoute />
        </section>
        <section className={`map-pane${mode !== 'static' ? ' drawing' : ''}${closeMode ? ' closing' : ''}`} aria-label={t('map.label')}>
          {dataVersion !== null && <MapView dataVersion={dataVersion} visible={visible} extrude={extrude} focus={focus} deckLayers={deckLayers} onReady={setMap} />}
        </section>
      </div>
      {poster && <PosterDialog request={poster} onClose={() => setPoster(null)} load={loadOne} />}
    </Ctx.Provider>
  );
}
