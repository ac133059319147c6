import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { BBox, SearchHit } from '../api/client.ts';
import { LayerSwitcher, Legend } from '../components/LayerPanel.tsx';
import { SearchBox } from '../components/SearchBox.tsx';
import { ALL_VISIBLE, MapView, type Visibility } from '../map/MapView.tsx';
import { useData } from '../data.tsx';
import { navigate } from '../router.tsx';

/** A full map page with search, layer switcher and legend; planner and inspector build on it. */
export function MapPage({ heading, intro, children }: { heading: string; intro: string; children?: ReactNode }) {
  const { t } = useTranslation();
  const { dataVersion } = useData();
  const [visible, setVisible] = useState<Visibility>(ALL_VISIBLE);
  const [extrude, setExtrude] = useState(false);
  const [focus, setFocus] = useState<BBox | null>(null);

  const choose = (hit: SearchHit) => {
    if (hit.type === 'building') {
      navigate(`/building/${encodeURIComponent(String(hit.id))}`);
      return;
    }
    const [x, y] = hit.center;
    const d = hit.type === 'community' ? 0.004 : 0.0015;
    setFocus([x - d, y - d, x + d, y + d]);
  };

  return (
    <div className="page map-page">
      <section className="side" aria-labelledby="page-h">
        <h1 id="page-h">{heading}</h1>
        <p className="intro">{intro}</p>
        {dataVersion && <p className="meta">{t('planner.stats', { version: dataVersion })}</p>}
        <SearchBox onChoose={choose} />
        <LayerSwitcher visible={visible} onChange={setVisible} extrude={extrude} onExtrude={setExtrude} />
        <Legend />
        {children}
      </section>
      <section className="map-pane" aria-label={t('map.label')}>
        {dataVersion !== null && <MapView dataVersion={dataVersion} visible={visible} extrude={extrude} focus={focus} />}
      </section>
    </div>
  );
}
