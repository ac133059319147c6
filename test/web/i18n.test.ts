import { describe, expect, it } from 'vitest';
import zh from '../../web/src/i18n/zh.ts';
import en from '../../web/src/i18n/en.ts';

function leaves(o: unknown, prefix = ''): Record<string, unknown> {
  if (o && typeof o === 'object' && !Array.isArray(o))
    return Object.assign({}, ...Object.entries(o).map(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k)));
  return { [prefix]: o };
}

describe('translations', () => {
  it('have the same keys in Chinese and English, none empty, same placeholders', () => {
    const z = leaves(zh);
    const e = leaves(en);
    expect(Object.keys(e).sort()).toEqual(Object.keys(z).sort());
    for (const [k, v] of Object.entries(z)) {
      const w = e[k];
      if (Array.isArray(v)) {
        expect((w as string[]).length, k).toBe(v.length);
        continue;
      }
      expect(String(v).length, k).toBeGreaterThan(0);
      expect(String(w).length, k).toBeGreaterThan(0);
      const ph = (s: unknown) => [...String(s).matchAll(/{{(\w+)}}/g)].map((m) => m[1]).sort();
      expect(ph(w), k).toEqual(ph(v));
    }
  });
});
