import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { COLORS, LAYER_GROUPS, SITE_COLORS, SITE_KINDS, type LayerGroup } from '../map/style.ts';
import type { Visibility } from '../map/MapView.tsx';

/** Layer switcher: one real checkbox per layer group (keyboard and screen-reader friendly). */
export function LayerSwitcher({
  visible,
  onChange,
  extrude,
  onExtrude,
}: {
  visible: Visibility;
  onChange: (v: Visibility) => void;
  extrude?: boolean;
  onExtrude?: (on: boolean) => void;
}) {
  const { t } = useTranslation();
  const id = useId();
  return (
    <fieldset className="panel-box layer-switcher">
      <legend>{t('map.layers')}</legend>
      {LAYER_GROUPS.map((g: LayerGroup) => (
        <label key={g} className="check" htmlFor={`${id}-${g}`}>
          <input id={`${id}-${g}`} type="checkbox" checked={visible[g]} onChange={(e) => onChange({ ...visible, [g]: e.target.checked })} />
          <span>{t(`map.layer.${g}`)}</span>
        </label>
      ))}
      {onExtrude && (
        <label className="check" htmlFor={`${id}-3d`}>
          <input id={`${id}-3d`} type="checkbox" checked={!!extrude} onChange={(e) => onExtrude(e.target.checked)} />
          <span>{t('map.threeD')}</span>
        </label>
      )}
    </fieldset>
  );
}

function Swatch({ color, shape = 'box', dashed }: { color: string; shape?: 'box' | 'line' | 'dot'; dashed?: boolean }) {
  return <span className={`swatch swatch-${shape}${dashed ? ' dashed' : ''}`} style={{ ['--c' as string]: color }} aria-hidden="true" />;
}

/** Legend built from the same colours the style uses. */
export function Legend({ showRoute }: { showRoute?: boolean }) {
  const { t } = useTranslation();
  const routeRgb = `rgb(${COLORS.route.join(',')})`;
  return (
    <section className="panel-box legend" aria-labelledby="legend-h">
      <h2 id="legend-h">{t('map.legend')}</h2>
      <h3>{t('map.layer.sites')}</h3>
      <ul>
        {SITE_KINDS.map((k) => (
          <li key={k}>
            <Swatch color={SITE_COLORS[k]} shape={k === 'civil_defence_work' || k === 'assembly_point' ? 'dot' : 'box'} />
            {t(`map.kind.${k}`)}
          </li>
        ))}
      </ul>
      <h3>{t('map.layer.roads')}</h3>
      <ul>
        <li>
          <Swatch color={COLORS.roadMajor} shape="line" />
          {t('map.road.major')}
        </li>
        <li>
          <Swatch color={COLORS.roadCasing} shape="line" />
          {t('map.road.minor')}
        </li>
        <li>
          <Swatch color={COLORS.footway} shape="line" dashed />
          {t('map.road.footway')}
        </li>
      </ul>
      <h3>{t('map.layer.buildings')}</h3>
      <ul>
        <li>
          <Swatch color={COLORS.residential} />
          {t('map.building.residential')}
        </li>
        <li>
          <Swatch color={COLORS.otherBuilding} />
          {t('map.building.other')}
        </li>
        <li>
          <Swatch color={COLORS.communityLine} shape="line" dashed />
          {t('map.layer.communities')}
        </li>
        <li>
          <Swatch color={COLORS.zoneLine} shape="line" dashed />
          {t('map.layer.zones')}
        </li>
        {showRoute && (
          <li>
            <Swatch color={routeRgb} shape="line" />
            {t('map.layer.route')}
          </li>
        )}
      </ul>
    </section>
  );
}
