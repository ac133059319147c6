import { useTranslation } from 'react-i18next';
import { MapPage } from './MapPage.tsx';
import { useTitle } from '../router.tsx';

export function Inspector() {
  const { t } = useTranslation();
  useTitle(`${t('inspector.heading')} · ${t('app.title')}`);
  return <MapPage heading={t('inspector.heading')} intro={t('inspector.intro')} />;
}
