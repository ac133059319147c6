/**
 * Small accessible SVG charts (no chart library): a vertical histogram and horizontal bars. Each chart is a
 * <figure> with a caption; the SVG has role="img" with a text summary, and the same numbers are in a table
 * inside <details> for screen readers and for anyone who wants the exact figures.
 */
import { useId } from 'react';
import { useTranslation } from 'react-i18next';

export interface Bar {
  key: string | number;
  label: string;
  value: number;
  /** shown next to the bar (formatted value) */
  text: string;
  tone?: 'ok' | 'warn' | 'bad';
}

const TONE = { ok: '#0b6b34', warn: '#b35c00', bad: '#a4161a' } as const;

export function Histogram({ title, desc, bars, xLabel, yLabel, testId }: { title: string; desc: string; bars: Bar[]; xLabel: string; yLabel: string; testId?: string }) {
  const { t } = useTranslation();
  const id = useId();
  const W = 360, H = 180, padL = 44, padB = 36, padT = 10, padR = 8;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const bw = bars.length ? (W - padL - padR) / bars.length : 0;
  const y = (v: number) => padT + (H - padT - padB) * (1 - v / max);
  const ticks = [0, max / 2, max].map((v) => Math.round(v));
  return (
    <figure className="chart" data-testid={testId}>
      <figcaption id={`${id}-t`}>
        <strong>{title}</strong>
        <span className="chart-desc">{desc}</span>
      </figcaption>
      {bars.length === 0 ? (
        <p>{t('insp.charts.none')}</p>
      ) : (
        <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={`${id}-t ${id}-s`} className="chart-svg">
          <desc id={`${id}-s`}>{bars.map((b) => `${b.label}: ${b.text}`).join('; ')}</desc>
          {ticks.map((v, i) => (
            <g key={i}>
              <line x1={padL} x2={W - padR} y1={y(v)} y2={y(v)} className="grid" />
              <text x={padL - 4} y={y(v) + 4} textAnchor="end" className="tick">
                {v}
              </text>
            </g>
          ))}
          {bars.map((b, i) => (
            <g key={b.key}>
              <rect x={padL + i * bw + 1} y={y(b.value)} width={Math.max(1, bw - 2)} height={H - padB - y(b.value)} fill={TONE[b.tone ?? 'ok']}>
                <title>{`${b.label}: ${b.text}`}</title>
              </rect>
              {(bars.length <= 8 || i % Math.ceil(bars.length / 8) === 0) && (
                <text x={padL + i * bw + bw / 2} y={H - padB + 14} textAnchor="middle" className="tick">
                  {b.label.replace(/[^\d–-].*$/, '')}
                </text>
              )}
            </g>
          ))}
          <text x={(W + padL) / 2} y={H - 4} textAnchor="middle" className="axis">
            {xLabel}
          </text>
          <text x={10} y={padT + 4} className="axis" textAnchor="start">
            {yLabel}
          </text>
        </svg>
      )}
      <DataTable bars={bars} />
    </figure>
  );
}

export function HBars({ title, desc, bars, maxValue, marker, testId }: { title: string; desc: string; bars: Bar[]; maxValue?: number; marker?: number; testId?: string }) {
  const { t } = useTranslation();
  const id = useId();
  const rowH = 22, labelW = 130, textW = 64, W = 360;
  const H = Math.max(1, bars.length) * rowH + 8;
  const max = Math.max(maxValue ?? 0, marker ?? 0, ...bars.map((b) => b.value), 1e-9);
  const x = (v: number) => labelW + ((W - labelW - textW) * Math.max(0, v)) / max;
  return (
    <figure className="chart" data-testid={testId}>
      <figcaption id={`${id}-t`}>
        <strong>{title}</strong>
        <span className="chart-desc">{desc}</span>
      </figcaption>
      {bars.length === 0 ? (
        <p>{t('insp.charts.none')}</p>
      ) : (
        <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={`${id}-t ${id}-s`} className="chart-svg">
          <desc id={`${id}-s`}>{bars.map((b) => `${b.label}: ${b.text}`).join('; ')}</desc>
          {bars.map((b, i) => (
            <g key={b.key} transform={`translate(0 ${4 + i * rowH})`}>
              <text x={labelW - 6} y={rowH / 2 + 4} textAnchor="end" className="tick">
                {b.label.length > 9 ? `${b.label.slice(0, 8)}…` : b.label}
              </text>
              <rect x={labelW} y={3} width={Math.max(1, x(b.value) - labelW)} height={rowH - 6} fill={TONE[b.tone ?? 'ok']}>
                <title>{`${b.label}: ${b.text}`}</title>
              </rect>
              <text x={x(b.value) + 4} y={rowH / 2 + 4} className="tick">
                {b.text}
              </text>
            </g>
          ))}
          {marker !== undefined && <line x1={x(marker)} x2={x(marker)} y1={0} y2={H} className="marker" />}
        </svg>
      )}
      <DataTable bars={bars} />
    </figure>
  );
}

function DataTable({ bars }: { bars: Bar[] }) {
  const { t } = useTranslation();
  if (!bars.length) return null;
  return (
    <details className="chart-data">
      <summary>{t('insp.charts.dataTable')}</summary>
      <table>
        <tbody>
          {bars.map((b) => (
            <tr key={b.key}>
              <th scope="row">{b.label}</th>
              <td className="num">{b.text}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
