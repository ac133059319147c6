/** Evacuation sites: add one (draw an area or place a point) and edit kind, level, status, hazards, capacity. */
import { useEffect, useId, useState, type Dispatch } from 'react';
import { useTranslation } from 'react-i18next';
import type { Point, Polygon } from 'geojson';
import { bboxOf } from '../api/client.ts';
import { feature, features, type Draft, type DraftAction } from './draft.ts';
import {
  createSite, getSite, patchSite, PlannerApiError, SITE_HAZARDS, SITE_KINDS, SITE_LEVELS,
  type Site, type SiteHazard, type SiteInput,
} from './api.ts';
import { usePlanner } from './context.ts';
import { DrawButtons, HistoryButtons } from './ZonesPanel.tsx';
import type { DrawMode } from './drawing.ts';

export interface SiteForm {
  name: string;
  kind: SiteInput['kind'];
  level: SiteInput['level'];
  status: 'open' | 'closed';
  hazards: SiteHazard[];
  /** Text of the override input: empty = use the computed capacity. */
  override: string;
}

export const defaultSiteForm = (isPoint: boolean): SiteForm => ({
  name: '',
  kind: isPoint ? 'assembly_point' : 'green_space',
  level: 'emergency',
  status: 'open',
  hazards: ['earthquake', 'fire'],
  override: '',
});

const formOf = (s: Site): SiteForm => ({
  name: s.name ?? '',
  kind: s.kind,
  level: s.level,
  status: s.status,
  hazards: s.hazards,
  override: s.capacityOverride === null ? '' : String(s.capacityOverride),
});

/** The override as the API wants it: null when empty, else a whole number ≥ 0; `undefined` when invalid. */
export function parseOverride(s: string): number | null | undefined {
  const v = s.trim();
  if (!v) return null;
  if (!/^\d{1,8}$/.test(v)) return undefined;
  return Number(v);
}

function SiteFields({ form, set, isPoint, site }: { form: SiteForm; set: (f: SiteForm) => void; isPoint: boolean; site: Site | null }) {
  const { t } = useTranslation();
  const id = useId();
  const override = parseOverride(form.override);
  return (
    <>
      <label htmlFor={`${id}-n`}>{t('pl.sites.name')}</label>
      <input id={`${id}-n`} type="text" required maxLength={200} value={form.name} onChange={(e) => set({ ...form, name: e.target.value })} />
      <label htmlFor={`${id}-k`}>{t('pl.sites.kind')}</label>
      <select id={`${id}-k`} value={form.kind} onChange={(e) => set({ ...form, kind: e.target.value as SiteForm['kind'] })}>
        {SITE_KINDS.map((k) => (
          <option key={k} value={k}>
            {t(`map.kind.${k}`)}
          </option>
        ))}
      </select>
      <label htmlFor={`${id}-l`}>{t('pl.sites.level')}</label>
      <select id={`${id}-l`} value={form.level} onChange={(e) => set({ ...form, level: e.target.value as SiteForm['level'] })}>
        {SITE_LEVELS.map((l) => (
          <option key={l} value={l}>
            {t(`pl.level.${l}`)}
          </option>
        ))}
      </select>
      <fieldset className="pl-inline">
        <legend>{t('pl.sites.status')}</legend>
        {(['open', 'closed'] as const).map((s) => (
          <label key={s} className="check">
            <input type="radio" name={`${id}-st`} value={s} checked={form.status === s} onChange={() => set({ ...form, status: s })} />
            <span>{t(`pl.status.${s}`)}</span>
          </label>
        ))}
      </fieldset>
      <fieldset className="pl-inline">
        <legend>{t('pl.sites.hazards')}</legend>
        {SITE_HAZARDS.map((h) => (
          <label key={h} className="check">
            <input
              type="checkbox"
              checked={form.hazards.includes(h)}
              onChange={(e) => set({ ...form, hazards: e.target.checked ? [...form.hazards, h] : form.hazards.filter((x) => x !== h) })}
            />
            <span>{t(`pl.hazard.${h}`)}</span>
          </label>
        ))}
      </fieldset>
      {site && (
        <dl className="figures pl-figs" data-testid="site-capacity">
          <dt>{t('pl.sites.area')}</dt>
          <dd>{site.areaM2 === null ? '—' : t('pl.m2', { value: Math.round(site.areaM2).toLocaleString() })}</dd>
          <dt>{t('pl.sites.effectiveArea')}</dt>
          <dd>{site.effectiveAreaM2 === null ? '—' : t('pl.m2', { value: Math.round(site.effectiveAreaM2).toLocaleString() })}</dd>
          <dt>{t('pl.sites.computed')}</dt>
          <dd>{t('pl.people', { count: site.capacity })}</dd>
          <dt>{t('pl.sites.effective')}</dt>
          <dd>{t('pl.people', { count: site.effectiveCapacity })}</dd>
        </dl>
      )}
      <label htmlFor={`${id}-o`}>{t('pl.sites.override')}</label>
      <input
        id={`${id}-o`}
        type="text"
        inputMode="numeric"
        aria-describedby={`${id}-oh`}
        aria-invalid={override === undefined}
        value={form.override}
        onChange={(e) => set({ ...form, override: e.target.value })}
      />
      <p id={`${id}-oh`} className={override === undefined ? 'error' : 'pl-hint'}>
        {override === undefined ? t('pl.sites.overrideBad') : isPoint ? t('pl.sites.overridePoint') : t('pl.sites.overrideHint')}
      </p>
    </>
  );
}

export function SitesPanel({
  draft,
  dispatch,
  mode,
  setMode,
  selected,
  setSelected,
  siteId,
  setSiteId,
}: {
  draft: Draft;
  dispatch: Dispatch<DraftAction>;
  mode: DrawMode;
  setMode: (m: DrawMode) => void;
  /** A new (drawn, unsaved) site in the draft. */
  selected: string | null;
  setSelected: (k: string | null) => void;
  /** An existing site being edited. */
  siteId: number | null;
  setSiteId: (id: number | null) => void;
}) {
  const { t } = useTranslation();
  const ctx = usePlanner();
  const id = useId();
  const [site, setSite] = useState<Site | null>(null);
  const [form, setForm] = useState<SiteForm | null>(null);
  const [busy, setBusy] = useState(false);
  const [filter, setFilter] = useState('');
  const drafted = features(draft, 'site');
  const newSite = selected ? feature(draft, selected) : undefined;

  // The existing site chosen in the list or on the map.
  useEffect(() => {
    setSite(null);
    setForm(null);
    if (siteId === null) return;
    const ctrl = new AbortController();
    getSite(siteId, ctrl.signal)
      .then((s) => {
        setSite(s);
        setForm(formOf(s));
      })
      .catch((e) => (e as Error).name !== 'AbortError' && ctx.fail(e));
    return () => ctrl.abort();
  }, [siteId]);

  // A new site's form lives in the draft's props (so undo / redo covers it too).
  const newForm = newSite ? (newSite.props as unknown as SiteForm) : null;
  const setNewForm = (f: SiteForm) => newSite && dispatch({ type: 'props', key: newSite.key, props: { ...f }, coalesce: true });

  const saveExisting = async () => {
    if (!site || !form) return;
    const override = parseOverride(form.override);
    if (override === undefined || !form.name.trim()) return;
    setBusy(true);
    try {
      const s = await patchSite(site.id, site.version, {
        name: form.name.trim(), kind: form.kind, level: form.level, status: form.status, hazards: form.hazards, capacityOverride: override,
      });
      setSite(s);
      setForm(formOf(s));
      ctx.notify({ kind: 'ok', text: t('pl.sites.saved', { name: s.name }) });
      await ctx.reloadSites();
      await ctx.refreshTiles().catch(() => {});
    } catch (e) {
      if (e instanceof PlannerApiError && e.status === 409) {
        ctx.notify({ kind: 'conflict', text: t('pl.sites.conflict', { message: e.message }) });
        const s = await getSite(site.id).catch(() => null);
        if (s) {
          setSite(s);
          setForm(formOf(s));
        }
      } else ctx.fail(e);
    } finally {
      setBusy(false);
    }
  };

  const saveNew = async () => {
    if (!newSite || !newForm) return;
    const override = parseOverride(newForm.override);
    if (override === undefined) return;
    if (!newForm.name.trim()) {
      ctx.notify({ kind: 'error', text: t('pl.sites.nameRequired') });
      return;
    }
    setBusy(true);
    try {
      const s = await createSite({
        name: newForm.name.trim(), kind: newForm.kind, level: newForm.level, status: newForm.status, hazards: newForm.hazards,
        capacityOverride: override, geometry: newSite.geometry as Point | Polygon,
      });
      // Saved: it is a server site now, no longer a draft (undo cannot bring back a second copy).
      dispatch({ type: 'load', features: features(draft, 'site').filter((f) => f.key !== newSite.key) });
      setSelected(null);
      setMode('static');
      ctx.notify({ kind: 'ok', text: t('pl.sites.created', { name: s.name, count: s.effectiveCapacity }) });
      await ctx.reloadSites();
      await ctx.refreshTiles().catch(() => {});
      setSiteId(s.id);
    } catch (e) {
      ctx.fail(e);
    } finally {
      setBusy(false);
    }
  };

  const q = filter.trim().toLowerCase();
  const list = ctx.sites.filter((s) => !q || (s.name ?? '').toLowerCase().includes(q));

  return (
    <section className="pl-panel" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('pl.sites.heading')}</h2>
      <p className="pl-hint">{t('pl.sites.addHint')}</p>
      <DrawButtons mode={mode} setMode={setMode} modes={['polygon', 'point', 'select']} />
      {drafted.length > 0 && <HistoryButtons draft={draft} dispatch={dispatch} />}
      {drafted.length > 0 && (
        <ul className="pl-list" aria-label={t('pl.sites.newList')}>
          {drafted.map((f) => (
            <li key={f.key}>
              <button type="button" className={`pl-item${selected === f.key ? ' selected' : ''}`} aria-pressed={selected === f.key} onClick={() => setSelected(f.key)}>
                <span>{String((f.props as { name?: string }).name || t('pl.sites.unnamed'))}</span>
                <span className="meta">{t(f.geometry.type === 'Point' ? 'pl.sites.point' : 'pl.sites.area')} · {t('pl.new')}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {newSite && newForm && (
        <form
          className="panel-box pl-form"
          data-testid="new-site-form"
          onSubmit={(e) => {
            e.preventDefault();
            void saveNew();
          }}
        >
          <h3>{t('pl.sites.new')}</h3>
          <SiteFields form={newForm} set={setNewForm} isPoint={newSite.geometry.type === 'Point'} site={null} />
          <div className="pl-row">
            <button type="submit" className="btn primary" disabled={busy}>
              {busy ? t('pl.saving') : t('pl.sites.create')}
            </button>
            <button
              type="button"
              className="btn small danger"
              onClick={() => {
                dispatch({ type: 'remove', key: newSite.key });
                setSelected(null);
              }}
            >
              {t('pl.sites.discard')}
            </button>
          </div>
        </form>
      )}
      {site && form && (
        <form
          className="panel-box pl-form"
          data-testid="site-form"
          onSubmit={(e) => {
            e.preventDefault();
            void saveExisting();
          }}
        >
          <h3>{t('pl.sites.edit', { name: site.name ?? `#${site.id}` })}</h3>
          <SiteFields form={form} set={setForm} isPoint={site.geometry.type === 'Point'} site={site} />
          <div className="pl-row">
            <button type="submit" className="btn primary" disabled={busy}>
              {busy ? t('pl.saving') : t('pl.save')}
            </button>
            <button type="button" className="btn small" onClick={() => setSiteId(null)}>
              {t('pl.close')}
            </button>
          </div>
        </form>
      )}
      <label htmlFor={`${id}-f`} className="visually-hidden">
        {t('pl.sites.filter')}
      </label>
      <input id={`${id}-f`} type="text" placeholder={t('pl.sites.filter')} value={filter} onChange={(e) => setFilter(e.target.value)} />
      <ul className="pl-list pl-scroll" aria-label={t('pl.sites.list')}>
        {list.map((s) => (
          <li key={s.id}>
            <button
              type="button"
              className={`pl-item${siteId === s.id ? ' selected' : ''}`}
              aria-pressed={siteId === s.id}
              onClick={() => {
                setSiteId(s.id);
                const b = bboxOf(s.geometry);
                if (b) ctx.focus(b);
              }}
            >
              <span>{s.name ?? `#${s.id}`}</span>
              <span className="meta">
                {t(`map.kind.${s.kind}`)} · {t(`pl.level.${s.level}`)} · {t('pl.people', { count: s.capacity })}
                {s.status === 'closed' ? ` · ${t('pl.status.closed')}` : ''}
              </span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
