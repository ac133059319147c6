import { useTranslation } from 'react-i18next';
import { MapPage } from './MapPage.tsx';
import { useTitle } from '../router.tsx';

export function Planner() {
  const { t } = useTranslation();
  useTitle(`${t('planner.heading')} · ${t('app.title')}`);
  return <MapPage heading={t('planner.heading')} intro={t('planner.intro')} />;
}
