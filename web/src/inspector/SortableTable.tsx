/**
 * An accessible sortable table: each column header is a button, aria-sort tells screen readers the order.
 * Sorting compares the column's `value` (numbers numerically, text by locale); empty values sort last.
 */
import { useMemo, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

export interface Column<T> {
  key: string;
  label: string;
  value: (row: T) => number | string | null | undefined;
  render?: (row: T) => ReactNode;
  numeric?: boolean;
  /** not sortable (actions) */
  static?: boolean;
}

export function SortableTable<T>({
  caption,
  columns,
  rows,
  rowKey,
  initialSort,
  rowClass,
  testId,
}: {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string | number;
  initialSort?: { key: string; dir: 'asc' | 'desc' };
  rowClass?: (row: T) => string | undefined;
  testId?: string;
}) {
  const { t, i18n } = useTranslation();
  const [sort, setSort] = useState(initialSort ?? null);
  const sorted = useMemo(() => {
    if (!sort) return rows;
    const col = columns.find((c) => c.key === sort.key);
    if (!col) return rows;
    const dir = sort.dir === 'asc' ? 1 : -1;
    const coll = new Intl.Collator(i18n.language, { numeric: true });
    return [...rows].sort((a, b) => {
      const x = col.value(a);
      const y = col.value(b);
      const xe = x === null || x === undefined || (typeof x === 'number' && !Number.isFinite(x));
      const ye = y === null || y === undefined || (typeof y === 'number' && !Number.isFinite(y));
      if (xe || ye) return xe === ye ? 0 : xe ? 1 : -1;
      if (typeof x === 'number' && typeof y === 'number') return (x - y) * dir;
      return coll.compare(String(x), String(y)) * dir;
    });
  }, [rows, columns, sort, i18n.language]);

  const toggle = (key: string) =>
    setSort((s) => (s?.key === key ? { key, dir: s.dir === 'asc' ? 'desc' : 'asc' } : { key, dir: columns.find((c) => c.key === key)?.numeric ? 'desc' : 'asc' }));

  return (
    <div className="table-wrap">
      <table className="data" data-testid={testId}>
        <caption>{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => {
              const state = sort?.key === c.key ? sort.dir : null;
              return (
                <th key={c.key} scope="col" className={c.numeric ? 'num' : undefined} aria-sort={state === 'asc' ? 'ascending' : state === 'desc' ? 'descending' : c.static ? undefined : 'none'}>
                  {c.static ? (
                    c.label
                  ) : (
                    <button type="button" className="sort" onClick={() => toggle(c.key)} title={t('insp.tables.sortBy', { column: c.label })}>
                      {c.label}
                      <span aria-hidden="true" className="sort-mark">
                        {state === 'asc' ? ' ▲' : state === 'desc' ? ' ▼' : ' ↕'}
                      </span>
                    </button>
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {sorted.length === 0 ? (
            <tr>
              <td colSpan={columns.length}>{t('insp.tables.empty')}</td>
            </tr>
          ) : (
            sorted.map((r) => (
              <tr key={rowKey(r)} className={rowClass?.(r)}>
                {columns.map((c) => (
                  <td key={c.key} className={c.numeric ? 'num' : undefined}>
                    {c.render ? c.render(r) : (c.value(r) ?? '—')}
                  </td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}
