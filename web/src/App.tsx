import { useTranslation } from 'react-i18next';
import { DataProvider, useData } from './data.tsx';
import { Link, useRoute, type Route } from './router.tsx';
import { Resident } from './views/Resident.tsx';
import { Planner } from './views/Planner.tsx';
import { Inspector } from './views/Inspector.tsx';

function LanguageToggle() {
  const { t, i18n } = useTranslation();
  const next = i18n.language === 'en' ? 'zh-CN' : 'en';
  return (
    <button type="button" className="btn lang" lang={next} aria-label={t('app.switchToLabel')} onClick={() => void i18n.changeLanguage(next)}>
      {t('app.switchTo')}
    </button>
  );
}

function Nav({ route }: { route: Route }) {
  const { t } = useTranslation();
  const items: [string, string, boolean][] = [
    ['/', t('app.nav.resident'), route.name === 'resident' || route.name === 'building'],
    ['/planner', t('app.nav.planner'), route.name === 'planner'],
    ['/inspector', t('app.nav.inspector'), route.name === 'inspector'],
  ];
  return (
    <nav aria-label={t('app.navLabel')}>
      <ul className="nav">
        {items.map(([href, label, current]) => (
          <li key={href}>
            <Link href={href} aria-current={current ? 'page' : undefined}>
              {label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function Page({ route }: { route: Route }) {
  const { t } = useTranslation();
  switch (route.name) {
    case 'resident':
      return <Resident />;
    case 'building':
      return <Resident key={route.id} buildingId={route.id} />;
    case 'planner':
      return <Planner />;
    case 'inspector':
      return <Inspector />;
    default:
      return (
        <div className="page notfound">
          <h1>{t('app.notFound')}</h1>
          <p>
            <Link href="/">{t('app.backHome')}</Link>
          </p>
        </div>
      );
  }
}

function ServerNotice() {
  const { t } = useTranslation();
  const { error, reload } = useData();
  if (!error) return null;
  return (
    <div className="notice" role="alert">
      {t('app.error', { message: error })}{' '}
      <button type="button" className="btn small" onClick={reload}>
        {t('app.retry')}
      </button>
    </div>
  );
}

export function App() {
  const { t } = useTranslation();
  const route = useRoute();
  return (
    <DataProvider>
      <a className="skip" href="#main">
        {t('app.skipToContent')}
      </a>
      <header className="top">
        <Link href="/" className="brand">
          <img src="/favicon.svg" alt="" width="28" height="28" />
          <span>{t('app.title')}</span>
        </Link>
        <Nav route={route} />
        <LanguageToggle />
      </header>
      <ServerNotice />
      <main id="main" tabIndex={-1}>
        <Page route={route} />
      </main>
    </DataProvider>
  );
}
