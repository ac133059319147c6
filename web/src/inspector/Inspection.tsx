/**
 * Yearly inspection and acceptance: the city roll-up (GET /api/inspections?year=), each community's checklist with
 * the computed figures filled in by the API (GET /api/communities/:id/inspection?year=), the inspector's own
 * scores, pass/fail and notes (PUT, If-Match), and the report: a print-ready page (print CSS) and the CSV export.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client.ts';
import { exportCsvUrl, getChecklist, getRollUp, putChecklist, type CheckCode, type CheckItem, type Checklist, type ChecklistEdit, type RollUp } from './api.ts';
import { useAuth } from './auth.tsx';
import { formatShare } from './format.ts';
import { SortableTable, type Column } from './SortableTable.tsx';

type Draft = Record<string, { score: string; pass: '' | 'yes' | 'no'; note: string }>;

/**
 * The computed figure in words: the API's own summary in Chinese (its language), otherwise built from `computed`
 * in the reader's language. Falls back to the API's summary when a figure is missing.
 */
function computedText(t: (k: string, o?: Record<string, unknown>) => string, lang: string, i: CheckItem): string {
  const c = i.computed;
  if (lang.startsWith('zh') || !c) return i.summary;
  const k = `insp.inspection.computed.${i.code}`;
  switch (i.code) {
    case 'station':
      return t(c.exists ? 'insp.inspection.computed.stationYes' : 'insp.inspection.computed.stationNo');
    case 'coverage':
      return typeof c.share === 'number' ? t(k, { share: formatShare(c.share) }) : i.summary;
    default: {
      const s = t(k, c as Record<string, unknown>);
      return /{{|undefined/.test(s) ? i.summary : s;
    }
  }
}

function draftOf(c: Checklist): Draft {
  return Object.fromEntries(
    c.items.map((i) => [
      i.code,
      { score: i.inspectorScore === null ? '' : String(i.inspectorScore), pass: i.inspectorPass === null ? '' : i.inspectorPass ? 'yes' : 'no', note: i.inspectorNote ?? '' },
    ]),
  );
}

export function Inspection() {
  const { t, i18n } = useTranslation();
  const now = new Date().getFullYear();
  const [year, setYear] = useState(now);
  const [roll, setRoll] = useState<RollUp | null>(null);
  const [rollError, setRollError] = useState<string | null>(null);
  const [communityId, setCommunityId] = useState<number | null>(null);
  const [n, setN] = useState(0); // reload counter

  useEffect(() => {
    const ctrl = new AbortController();
    setRollError(null);
    getRollUp(year, ctrl.signal)
      .then((r) => {
        setRoll(r);
        setCommunityId((id) => id ?? r.results[0]?.communityId ?? null);
      })
      .catch((e: Error) => e.name !== 'AbortError' && setRollError(e.message));
    return () => ctrl.abort();
  }, [year, n]);

  const itemName = (code: string) => t(`insp.inspection.items.${code}`, { defaultValue: code });
  const cols: Column<RollUp['results'][number]>[] = [
    {
      key: 'name',
      label: t('insp.inspection.community'),
      value: (r) => r.communityName,
      render: (r) => (
        <button type="button" className="linkish" onClick={() => setCommunityId(r.communityId)} aria-pressed={r.communityId === communityId}>
          {r.communityName}
        </button>
      ),
    },
    { key: 'status', label: t('insp.inspection.col.status'), value: (r) => t(`insp.inspection.status.${r.status}`, { defaultValue: r.status }) },
    { key: 'score', label: t('insp.inspection.col.total'), value: (r) => r.totalScore, render: (r) => `${r.totalScore} / ${r.maxScore}`, numeric: true },
    {
      key: 'pass',
      label: t('insp.inspection.col.pass'),
      value: (r) => (r.pass ? 1 : 0),
      render: (r) => <span className={r.pass ? 'ok' : 'bad'}>{r.pass ? t('insp.inspection.pass') : t('insp.inspection.fail')}</span>,
    },
    { key: 'failed', label: t('insp.inspection.col.failed'), value: (r) => r.failedRequired.map(itemName).join('、') },
  ];

  return (
    <div className="inspection">
      <header className="print-only report-head">
        <h1>{t('insp.inspection.reportTitle', { year })}</h1>
        <p>{t('insp.inspection.printedOn', { date: new Date().toLocaleDateString(i18n.language) })}</p>
      </header>
      <div className="scope-row no-print">
        <label>
          {t('insp.inspection.year')}{' '}
          <select value={year} onChange={(e) => setYear(Number(e.target.value))} data-testid="year">
            {[0, 1, 2, 3, 4].map((d) => (
              <option key={d} value={now - d}>
                {now - d}
              </option>
            ))}
          </select>
        </label>
        <span className="export">
          {t('insp.inspection.export')}:{' '}
          <button type="button" className="btn small" onClick={() => window.print()}>
            {t('insp.inspection.print')}
          </button>{' '}
          <a className="btn small" href={exportCsvUrl(year)} download={`inspection-${year}.csv`}>
            {t('insp.inspection.csv')}
          </a>
        </span>
      </div>
      <section aria-labelledby="roll-h">
        <h2 id="roll-h">
          {t('insp.inspection.rollUp')} · {year}
        </h2>
        {rollError && (
          <p role="alert" className="error">
            {t('app.error', { message: rollError })}
          </p>
        )}
        {roll && (
          <>
            <p data-testid="rollup-summary">
              {t('insp.inspection.rollUpSummary', { passing: roll.passing, communities: roll.communities, share: formatShare(roll.passShare), finalised: roll.finalised })}
            </p>
            <SortableTable caption={t('insp.inspection.rollUp')} columns={cols} rows={roll.results} rowKey={(r) => r.communityId} testId="table-rollup" rowClass={(r) => (r.pass ? undefined : 'row-warn')} />
            <details className="by-item">
              <summary>{t('insp.inspection.byItem')}</summary>
              <ul>
                {Object.entries(roll.passingByItem).map(([code, k]) => (
                  <li key={code}>
                    {itemName(code)}: {k} / {roll.communities}
                  </li>
                ))}
              </ul>
            </details>
          </>
        )}
      </section>
      {communityId !== null && <ChecklistEditor key={`${communityId}-${year}`} communityId={communityId} year={year} onSaved={() => setN((x) => x + 1)} />}
    </div>
  );
}

function ChecklistEditor({ communityId, year, onSaved }: { communityId: number; year: number; onSaved: () => void }) {
  const { t, i18n } = useTranslation();
  const { user } = useAuth();
  const canEdit = user?.role === 'inspector' || user?.role === 'admin';
  const [list, setList] = useState<Checklist | null>(null);
  const [draft, setDraft] = useState<Draft>({});
  const [notes, setNotes] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = (signal?: AbortSignal) =>
    getChecklist(communityId, year, signal).then((c) => {
      setList(c);
      setDraft(draftOf(c));
      setNotes(c.notes ?? '');
    });

  useEffect(() => {
    const ctrl = new AbortController();
    load(ctrl.signal).catch((e: Error) => e.name !== 'AbortError' && setError(e.message));
    return () => ctrl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [communityId, year]);

  if (error && !list)
    return (
      <p role="alert" className="error">
        {t('app.error', { message: error })}
      </p>
    );
  if (!list) return <p role="status">{t('insp.inspection.loading')}</p>;

  const final = list.status === 'final';
  const editable = canEdit && !final;
  const itemName = (code: string) => t(`insp.inspection.items.${code}`, { defaultValue: code });
  const set = (code: string, k: 'score' | 'pass' | 'note', v: string) => setDraft((d) => ({ ...d, [code]: { ...d[code], [k]: v } }));

  const save = (status: 'draft' | 'final') => (e?: FormEvent) => {
    e?.preventDefault();
    const items: ChecklistEdit['items'] = {};
    for (const i of list.items) {
      const d = draft[i.code];
      if (!d) continue;
      items[i.code as CheckCode] = {
        score: d.score.trim() === '' ? null : Math.min(i.maxScore, Math.max(0, Number(d.score))),
        pass: d.pass === '' ? null : d.pass === 'yes',
        note: d.note.trim() === '' ? null : d.note.trim(),
      };
    }
    setBusy(true);
    setError(null);
    setMessage(null);
    putChecklist(communityId, year, { items, notes: notes.trim() === '' ? null : notes.trim(), status }, list.version)
      .then((c) => {
        setList(c);
        setDraft(draftOf(c));
        setMessage(t('insp.inspection.saved', { version: c.version }));
        onSaved();
      })
      .catch((err: Error) => {
        if (err instanceof ApiError && err.status === 409) {
          setError(t('insp.inspection.stale'));
          void load().catch(() => {});
        } else setError(err.message);
      })
      .finally(() => setBusy(false));
  };

  const verdict = (p: boolean | null) => (p === null ? t('insp.inspection.unknown') : p ? t('insp.inspection.pass') : t('insp.inspection.fail'));
  return (
    <form className="checklist" onSubmit={save('draft')} aria-labelledby="cl-h" data-testid="checklist">
      <h2 id="cl-h">
        {list.communityName} · {t('insp.inspection.heading', { year })}
      </h2>
      <p className="meta">
        <span>{t('insp.inspection.statusLabel', { status: t(`insp.inspection.status.${list.status}`) })}</span>
        {list.inspector && <span>{t('insp.inspection.inspector', { name: list.inspector })}</span>}
      </p>
      <p className={`verdict ${list.pass ? 'ok' : 'bad'}`} data-testid="checklist-total">
        <strong>{list.pass ? t('insp.inspection.pass') : t('insp.inspection.fail')}</strong> · {t('insp.inspection.total', { score: list.totalScore, max: list.maxScore, mark: list.passMark })}
      </p>
      {list.failedRequired.length > 0 && <p className="warn">{t('insp.inspection.failedRequired', { items: list.failedRequired.map(itemName).join('、') })}</p>}
      {final && <p className="meta">{t('insp.inspection.finalNote')}</p>}
      {!canEdit && <p className="meta">{t('insp.inspection.readOnly')}</p>}
      <div className="table-wrap">
        <table className="data checklist-table">
          <caption className="sr-only">{t('insp.inspection.heading', { year })}</caption>
          <thead>
            <tr>
              <th scope="col">{t('insp.inspection.col.item')}</th>
              <th scope="col">{t('insp.inspection.col.computed')}</th>
              <th scope="col" className="num">
                {t('insp.inspection.col.auto')}
              </th>
              <th scope="col">{t('insp.inspection.col.score')}</th>
              <th scope="col">{t('insp.inspection.col.pass')}</th>
              <th scope="col">{t('insp.inspection.col.note')}</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((i) => {
              const d = draft[i.code] ?? { score: '', pass: '', note: '' };
              const name = itemName(i.code);
              return (
                <tr key={i.code} className={i.pass === false ? 'row-warn' : undefined} data-code={i.code}>
                  <th scope="row">{name}</th>
                  <td>
                    {computedText(t, i18n.language, i)}
                    {i.note && <div className="meta">{i.note}</div>}
                  </td>
                  <td className="num">
                    {i.autoScore} / {i.maxScore}
                    <div className="meta">{verdict(i.autoPass)}</div>
                  </td>
                  <td>
                    <input
                      type="number"
                      min={0}
                      max={i.maxScore}
                      step="0.5"
                      inputMode="decimal"
                      className="score"
                      aria-label={t('insp.inspection.scoreLabel', { item: name, max: i.maxScore })}
                      value={d.score}
                      disabled={!editable}
                      placeholder={String(i.autoScore)}
                      onChange={(e) => set(i.code, 'score', e.target.value)}
                    />
                    <span className="print-only"> = {i.score}</span>
                  </td>
                  <td>
                    <select aria-label={t('insp.inspection.passLabel', { item: name })} value={d.pass} disabled={!editable} onChange={(e) => set(i.code, 'pass', e.target.value)}>
                      <option value="">{t('insp.inspection.passAuto')}</option>
                      <option value="yes">{t('insp.inspection.passYes')}</option>
                      <option value="no">{t('insp.inspection.passNo')}</option>
                    </select>
                    <div className={i.pass ? 'ok' : i.pass === false ? 'bad' : undefined}>{verdict(i.pass)}</div>
                  </td>
                  <td>
                    <textarea aria-label={t('insp.inspection.noteLabel', { item: name })} rows={2} value={d.note} disabled={!editable} onChange={(e) => set(i.code, 'note', e.target.value)} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <label className="notes">
        {t('insp.inspection.notes')}
        <textarea rows={3} value={notes} disabled={!editable} onChange={(e) => setNotes(e.target.value)} />
      </label>
      {error && (
        <p role="alert" className="error">
          {t('app.error', { message: error })}
        </p>
      )}
      {message && <p role="status">{message}</p>}
      {editable && (
        <p className="actions no-print">
          <button type="submit" className="btn" disabled={busy}>
            {busy ? t('insp.inspection.saving') : t('insp.inspection.save')}
          </button>{' '}
          <button type="button" className="btn primary" disabled={busy} onClick={() => save('final')()}>
            {t('insp.inspection.finalise')}
          </button>
        </p>
      )}
    </form>
  );
}
