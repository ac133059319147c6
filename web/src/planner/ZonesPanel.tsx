/** Evacuation zones: draw (snapping), reshape (vertex edit), undo / redo, attributes and sites, save with If-Match. */
import { useId, useMemo, useState, type Dispatch } from 'react';
import { useTranslation } from 'react-i18next';
import type { Polygon, MultiPolygon } from 'geojson';
import { bboxOf } from '../api/client.ts';
import {
  canRedo, canUndo, changes, editablePolygon, feature, features, redoAnnotation, undoAnnotation,
  type Draft, type DraftAction, type DraftFeature, type Annotation,
} from './draft.ts';
import { centerOf, createZone, deleteZone, listZones, patchZone, PlannerApiError, SITE_HAZARDS, type Zone, type ZoneInput } from './api.ts';
import { errorText, usePlanner } from './context.ts';
import type { DrawMode } from './drawing.ts';

export function zoneToDraft(z: Zone, key = `zone-${z.id}`): DraftFeature {
  return {
    key,
    kind: 'zone',
    serverId: z.id,
    version: z.version,
    geometry: editablePolygon(z.geometry) ?? z.geometry,
    props: { name: z.name, siteIds: [...z.siteIds].sort((a, b) => a - b), hazard: z.hazard, notes: z.notes },
  };
}

export function zoneBody(f: DraftFeature): ZoneInput {
  const p = f.props as { name?: string; siteIds?: number[]; hazard?: ZoneInput['hazard']; notes?: string | null };
  return {
    name: String(p.name ?? '').trim(),
    geometry: f.geometry as Polygon | MultiPolygon,
    siteIds: p.siteIds ?? [],
    hazard: p.hazard ?? null,
    notes: p.notes ? p.notes : null,
  };
}

export async function loadZones(dispatch: Dispatch<DraftAction>) {
  const zones = await listZones();
  dispatch({ type: 'load', features: zones.map((z) => zoneToDraft(z)) });
  return zones;
}

export function HistoryButtons({ draft, dispatch }: { draft: Draft; dispatch: Dispatch<DraftAction> }) {
  const { t } = useTranslation();
  const label = (a: Annotation | null) => (a ? t(`pl.history.${a.op}`, { what: t(`pl.history.kind.${a.kind}`) }) : '');
  const u = undoAnnotation(draft);
  const r = redoAnnotation(draft);
  return (
    <div className="pl-row" role="group" aria-label={t('pl.history.label')}>
      <button type="button" className="btn small" disabled={!canUndo(draft)} onClick={() => dispatch({ type: 'undo' })} title={u ? label(u) : undefined}>
        ↶ {t('pl.history.undo')}
        {u && <span className="visually-hidden">: {label(u)}</span>}
      </button>
      <button type="button" className="btn small" disabled={!canRedo(draft)} onClick={() => dispatch({ type: 'redo' })} title={r ? label(r) : undefined}>
        ↷ {t('pl.history.redo')}
        {r && <span className="visually-hidden">: {label(r)}</span>}
      </button>
    </div>
  );
}

export function DrawButtons({ mode, setMode, modes }: { mode: DrawMode; setMode: (m: DrawMode) => void; modes: DrawMode[] }) {
  const { t } = useTranslation();
  return (
    <div className="pl-row" role="group" aria-label={t('pl.draw.label')}>
      {modes.map((m) => (
        <button key={m} type="button" className={`btn small${mode === m ? ' primary' : ''}`} aria-pressed={mode === m} onClick={() => setMode(mode === m ? 'static' : m)}>
          {t(`pl.draw.${m}`)}
        </button>
      ))}
      {mode !== 'static' && <p className="pl-hint">{t(`pl.draw.hint.${mode}`)}</p>}
    </div>
  );
}

export function ZonesPanel({
  draft,
  dispatch,
  mode,
  setMode,
  selected,
  setSelected,
}: {
  draft: Draft;
  dispatch: Dispatch<DraftAction>;
  mode: DrawMode;
  setMode: (m: DrawMode) => void;
  selected: string | null;
  setSelected: (k: string | null) => void;
}) {
  const { t } = useTranslation();
  const ctx = usePlanner();
  const id = useId();
  const [busy, setBusy] = useState(false);
  const [siteFilter, setSiteFilter] = useState('');
  const zones = features(draft, 'zone');
  const pending = changes(draft);
  const sel = selected ? feature(draft, selected) : undefined;

  const save = async () => {
    setBusy(true);
    ctx.notify(null);
    let done = 0;
    try {
      for (const c of pending) {
        const body = zoneBody(c.feature);
        if (c.op !== 'delete' && !body.name) {
          ctx.notify({ kind: 'error', text: t('pl.zones.nameRequired') });
          setSelected(c.key);
          return;
        }
        if (c.op === 'create') {
          const z = await createZone(body);
          dispatch({ type: 'saved', key: c.key, feature: zoneToDraft(z, c.key) });
        } else if (c.op === 'modify') {
          const patch: Partial<ZoneInput> = {};
          if (c.fields.includes('geometry')) patch.geometry = body.geometry;
          if (c.fields.includes('props')) Object.assign(patch, { name: body.name, siteIds: body.siteIds, hazard: body.hazard, notes: body.notes });
          const z = await patchZone(c.feature.serverId!, c.feature.version!, patch);
          dispatch({ type: 'saved', key: c.key, feature: zoneToDraft(z, c.key) });
        } else {
          await deleteZone(c.feature.serverId!, c.feature.version!);
          dispatch({ type: 'saved', key: c.key, feature: null });
        }
        done++;
      }
      ctx.notify({ kind: 'ok', text: t('pl.zones.saved', { count: done }) });
      await ctx.refreshTiles().catch(() => {});
    } catch (e) {
      if (e instanceof PlannerApiError && e.status === 409) {
        // Someone else changed it: show the conflict and reload everything from the server.
        ctx.notify({ kind: 'conflict', text: t('pl.zones.conflict', { message: e.message }) });
        await loadZones(dispatch).catch(() => {});
        setSelected(null);
      } else ctx.fail(e);
    } finally {
      setBusy(false);
    }
  };

  const reload = async () => {
    if (pending.length && !confirm(t('pl.zones.discard'))) return;
    try {
      await loadZones(dispatch);
      setSelected(null);
    } catch (e) {
      ctx.fail(e);
    }
  };

  const sortedSites = useMemo(() => {
    const c = sel ? centerOf(sel.geometry) : null;
    const d = (p: [number, number]) => (c ? Math.hypot((p[0] - c[0]) * Math.cos((c[1] * Math.PI) / 180), p[1] - c[1]) : 0);
    const q = siteFilter.trim().toLowerCase();
    return ctx.sites.filter((s) => !q || (s.name ?? '').toLowerCase().includes(q)).sort((a, b) => d(a.center) - d(b.center));
  }, [ctx.sites, sel?.key, sel && JSON.stringify(sel.geometry), siteFilter]);

  const props = (sel?.props ?? {}) as { name?: string; siteIds?: number[]; hazard?: string | null; notes?: string | null };
  const setProps = (p: Record<string, unknown>, coalesce = false) => sel && dispatch({ type: 'props', key: sel.key, props: p, coalesce });
  const toggleSite = (sid: number, on: boolean) => {
    const now = new Set(props.siteIds ?? []);
    if (on) now.add(sid);
    else now.delete(sid);
    setProps({ siteIds: [...now].sort((a, b) => a - b) });
  };

  return (
    <section className="pl-panel" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('pl.zones.heading')}</h2>
      <DrawButtons mode={mode} setMode={setMode} modes={['polygon', 'select']} />
      <HistoryButtons draft={draft} dispatch={dispatch} />
      <div className="pl-row">
        <button type="button" className="btn primary" disabled={busy || !pending.length} onClick={() => void save()}>
          {busy ? t('pl.saving') : t('pl.zones.save', { count: pending.length })}
        </button>
        <button type="button" className="btn small" disabled={busy} onClick={() => void reload()}>
          {t('pl.reload')}
        </button>
      </div>
      {pending.length > 0 && (
        <p className="pl-hint" data-testid="zone-pending">
          {t('pl.zones.pending', { count: pending.length })}
        </p>
      )}
      {zones.length === 0 ? (
        <p className="meta">{t('pl.zones.none')}</p>
      ) : (
        <ul className="pl-list" aria-label={t('pl.zones.list')}>
          {zones.map((z) => {
            const dirty = pending.some((c) => c.key === z.key);
            return (
              <li key={z.key}>
                <button
                  type="button"
                  className={`pl-item${selected === z.key ? ' selected' : ''}`}
                  aria-pressed={selected === z.key}
                  onClick={() => {
                    setSelected(z.key);
                    const b = bboxOf(z.geometry);
                    if (b) ctx.focus(b);
                  }}
                >
                  <span>{String(z.props.name || t('pl.zones.unnamed'))}</span>
                  <span className="meta">
                    {t('pl.zones.siteCount', { count: ((z.props.siteIds as number[]) ?? []).length })}
                    {z.serverId === null ? ` · ${t('pl.new')}` : dirty ? ` · ${t('pl.changed')}` : ''}
                  </span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
      {sel && (
        <fieldset className="panel-box pl-form" data-testid="zone-form">
          <legend>{t('pl.zones.edit', { name: props.name || t('pl.zones.unnamed') })}</legend>
          {sel.geometry.type === 'MultiPolygon' && <p className="warn">{t('pl.zones.multipart')}</p>}
          <label htmlFor={`${id}-name`}>{t('pl.zones.name')}</label>
          <input id={`${id}-name`} type="text" value={props.name ?? ''} maxLength={200} onChange={(e) => setProps({ name: e.target.value }, true)} />
          <label htmlFor={`${id}-hz`}>{t('pl.zones.hazard')}</label>
          <select id={`${id}-hz`} value={props.hazard ?? ''} onChange={(e) => setProps({ hazard: e.target.value || null })}>
            <option value="">{t('pl.zones.anyHazard')}</option>
            {SITE_HAZARDS.map((h) => (
              <option key={h} value={h}>
                {t(`pl.hazard.${h}`)}
              </option>
            ))}
          </select>
          <label htmlFor={`${id}-notes`}>{t('pl.zones.notes')}</label>
          <textarea id={`${id}-notes`} rows={2} maxLength={4000} value={props.notes ?? ''} onChange={(e) => setProps({ notes: e.target.value }, true)} />
          <fieldset className="pl-sites-pick">
            <legend>{t('pl.zones.sites', { count: (props.siteIds ?? []).length })}</legend>
            <label htmlFor={`${id}-sf`} className="visually-hidden">
              {t('pl.zones.siteFilter')}
            </label>
            <input id={`${id}-sf`} type="text" placeholder={t('pl.zones.siteFilter')} value={siteFilter} onChange={(e) => setSiteFilter(e.target.value)} />
            <ul className="pl-checklist">
              {sortedSites.map((s) => (
                <li key={s.id}>
                  <label className="check">
                    <input type="checkbox" checked={(props.siteIds ?? []).includes(s.id)} onChange={(e) => toggleSite(s.id, e.target.checked)} />
                    <span>
                      {s.name ?? `#${s.id}`} <span className="meta">{t(`map.kind.${s.kind}`)} · {t('pl.people', { count: s.capacity })}</span>
                    </span>
                  </label>
                </li>
              ))}
            </ul>
          </fieldset>
          <div className="pl-row">
            <button type="button" className="btn small" onClick={() => setSelected(null)}>
              {t('pl.close')}
            </button>
            <button
              type="button"
              className="btn small danger"
              onClick={() => {
                dispatch({ type: 'remove', key: sel.key });
                setSelected(null);
              }}
            >
              {t('pl.zones.delete')}
            </button>
          </div>
        </fieldset>
      )}
    </section>
  );
}
