import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { search, type SearchHit } from '../api/client.ts';

/**
 * Search by name. Works with Chinese input methods: nothing is sent while a composition is in
 * progress; the query goes out on submit, or 300 ms after the last committed keystroke.
 */
export function SearchBox({ onChoose, autoFocus }: { onChoose: (hit: SearchHit) => void; autoFocus?: boolean }) {
  const { t } = useTranslation();
  const id = useId();
  const [q, setQ] = useState('');
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const composing = useRef(false);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const ctrl = useRef<AbortController | null>(null);
  const lastSent = useRef('');

  const run = (query: string) => {
    const text = query.trim();
    clearTimeout(timer.current);
    if (!text) {
      setHits(null);
      return;
    }
    if (text === lastSent.current && hits) return;
    lastSent.current = text;
    ctrl.current?.abort();
    const c = new AbortController();
    ctrl.current = c;
    setBusy(true);
    setError(null);
    search(text, c.signal)
      .then((r) => {
        if (!c.signal.aborted) setHits(r);
      })
      .catch((e: Error) => {
        if (e.name !== 'AbortError') setError(e.message);
      })
      .finally(() => {
        if (!c.signal.aborted) setBusy(false);
      });
  };

  useEffect(() => () => {
    clearTimeout(timer.current);
    ctrl.current?.abort();
  }, []);

  const schedule = (v: string) => {
    clearTimeout(timer.current);
    if (composing.current) return;
    timer.current = setTimeout(() => run(v), 300);
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    lastSent.current = '';
    run(q);
  };

  return (
    <div className="search">
      <form role="search" onSubmit={submit} className="search-form">
        <label htmlFor={`${id}-q`} className="search-label">
          {t('search.label')}
        </label>
        <div className="search-row">
          <input
            id={`${id}-q`}
            type="search"
            name="q"
            value={q}
            placeholder={t('search.placeholder')}
            autoComplete="off"
            enterKeyHint="search"
            autoFocus={autoFocus}
            aria-describedby={`${id}-status`}
            onChange={(e) => {
              setQ(e.target.value);
              schedule(e.target.value);
            }}
            onCompositionStart={() => {
              composing.current = true;
            }}
            onCompositionEnd={(e) => {
              composing.current = false;
              schedule((e.target as HTMLInputElement).value);
            }}
          />
          <button type="submit" className="btn primary">
            {t('search.button')}
          </button>
        </div>
      </form>
      <p id={`${id}-status`} className="search-status" role="status" aria-live="polite">
        {busy
          ? t('search.searching')
          : error
            ? t('app.error', { message: error })
            : hits
              ? hits.length
                ? t('search.results', { count: hits.length })
                : t('search.none', { q: lastSent.current })
              : ''}
      </p>
      {hits && hits.length > 0 && (
        <ul className="search-results" aria-label={t('resident.chooseResult')}>
          {hits.map((h) => (
            <li key={`${h.type}:${h.id}`}>
              <button type="button" className="result" onClick={() => onChoose(h)}>
                <span className={`badge badge-${h.type}`}>{t(`search.type.${h.type}`)}</span>
                <span className="result-name">{h.name}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
