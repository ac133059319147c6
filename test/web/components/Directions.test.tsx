// @vitest-environment jsdom
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { I18nextProvider } from 'react-i18next';
import { Directions } from '../../../web/src/components/Directions.tsx';
import { createI18n } from '../../../web/src/i18n/index.ts';

afterEach(cleanup);

function items(steps: { instruction: string; distanceM: number }[], destination?: string) {
  render(
    <I18nextProvider i18n={createI18n('zh-CN')}>
      <Directions steps={steps} destination={destination} />
    </I18nextProvider>,
  );
  return [...screen.getByRole('list', { name: '步行路线（逐步）' }).querySelectorAll('li')].map((li) => li.textContent);
}

describe('turn-by-turn directions', () => {
  it('adds distances and the arrival when the instructions do not say them', () => {
    expect(items([{ instruction: '向东走', distanceM: 1234 }], '双清公园')).toEqual(['向东走（1.2 公里）', '到达 双清公园']);
  });

  it('does not repeat what the server already says', () => {
    expect(
      items(
        [
          { instruction: '出楼后向南步行 5 米', distanceM: 5 },
          { instruction: '向左转，向东步行 49 米', distanceM: 49 },
          { instruction: '到达疏散场所：翠竹小区中心花园', distanceM: 0 },
        ],
        '翠竹小区中心花园',
      ),
    ).toEqual(['出楼后向南步行 5 米', '向左转，向东步行 49 米', '到达疏散场所：翠竹小区中心花园']);
  });
});
