import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import type { Step } from '../api/client.ts';
import { formatDistance } from '../format.ts';

/** Instructions may already say the distance ("向东步行 49 米"); then we don't repeat it. */
const SAYS_DISTANCE = /\d\s*(米|公里|m\b|km\b|metres?|meters?)/i;

/** Turn-by-turn directions as an ordered list; screen readers announce the list and its items. */
export function Directions({ steps, destination }: { steps: Step[]; destination?: string }) {
  const { t } = useTranslation();
  const hid = useId();
  if (!steps.length) return null;
  const last = steps[steps.length - 1].instruction;
  const arrives = !!destination && !last.includes(destination);
  return (
    <section className="directions" aria-labelledby={hid}>
      <h3 id={hid}>{t('resident.steps')}</h3>
      <ol aria-labelledby={hid}>
        {steps.map((s, i) => (
          <li key={i}>
            {SAYS_DISTANCE.test(s.instruction) || !(s.distanceM > 0)
              ? s.instruction
              : t('resident.stepItem', { instruction: s.instruction, distance: formatDistance(t, s.distanceM) })}
          </li>
        ))}
        {arrives && <li>{t('resident.arrive', { name: destination })}</li>}
      </ol>
    </section>
  );
}

export function WhatToBring() {
  const { t } = useTranslation();
  const bring = t('resident.bring', { returnObjects: true }) as string[];
  const tips = t('resident.tips', { returnObjects: true }) as string[];
  return (
    <section className="bring" aria-labelledby="bring-h">
      <h3 id="bring-h">{t('resident.bringHeading')}</h3>
      <ul>
        {bring.map((b) => (
          <li key={b}>{b}</li>
        ))}
      </ul>
      <h3>{t('resident.tipsHeading')}</h3>
      <ul>
        {tips.map((b) => (
          <li key={b}>{b}</li>
        ))}
      </ul>
    </section>
  );
}
