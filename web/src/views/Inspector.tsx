import { useState, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useTitle } from '../router.tsx';
import { AuthGate } from '../inspector/auth.tsx';
import { Dashboard } from '../inspector/Dashboard.tsx';
import { Inspection } from '../inspector/Inspection.tsx';
import { Operations } from '../ops/Operations.tsx';
import '../inspector/inspector.css';

const TABS = ['dashboard', 'inspection', 'ops'] as const;
type Tab = (typeof TABS)[number];

function initialTab(): Tab {
  const v = typeof location !== 'undefined' ? new URLSearchParams(location.search).get('tab') : null;
  return (TABS as readonly string[]).includes(v ?? '') ? (v as Tab) : 'dashboard';
}

/** `/inspector` (sign-in: inspector or admin): coverage dashboard, yearly inspection, operations. `?tab=` keeps the tab. */
export function Inspector() {
  const { t } = useTranslation();
  const [tab, setTab] = useState<Tab>(initialTab);
  useTitle(tab === 'dashboard' ? `${t('inspector.heading')} · ${t('app.title')}` : `${t(`insp.tabs.${tab}`)} · ${t('inspector.heading')} · ${t('app.title')}`);
  const choose = (next: Tab) => {
    setTab(next);
    const u = new URL(location.href);
    if (next === 'dashboard') u.searchParams.delete('tab');
    else u.searchParams.set('tab', next);
    history.replaceState(history.state, '', u.pathname + u.search);
  };
  const onKey = (e: KeyboardEvent) => {
    const i = TABS.indexOf(tab);
    const n = e.key === 'ArrowRight' ? (i + 1) % TABS.length : e.key === 'ArrowLeft' ? (i + TABS.length - 1) % TABS.length : -1;
    if (n < 0) return;
    e.preventDefault();
    choose(TABS[n]);
    document.getElementById(`insp-tab-${TABS[n]}`)?.focus();
  };
  return (
    <div className="page inspector-page">
      <h1 className="no-print">{t('inspector.heading')}</h1>
      <AuthGate roles={['inspector']}>
        <div role="tablist" aria-label={t('insp.tabs.label')} className="tabs no-print" onKeyDown={onKey}>
          {TABS.map((k) => (
            <button
              key={k}
              type="button"
              role="tab"
              id={`insp-tab-${k}`}
              aria-selected={tab === k}
              aria-controls={`insp-panel-${k}`}
              tabIndex={tab === k ? 0 : -1}
              className={`tab${tab === k ? ' selected' : ''}`}
              onClick={() => choose(k)}
            >
              {t(`insp.tabs.${k}`)}
            </button>
          ))}
        </div>
        <div role="tabpanel" id={`insp-panel-${tab}`} aria-labelledby={`insp-tab-${tab}`} className="tabpanel">
          {tab === 'dashboard' && <Dashboard />}
          {tab === 'inspection' && <Inspection />}
          {tab === 'ops' && <Operations />}
        </div>
      </AuthGate>
    </div>
  );
}
