import i18next, { type i18n } from 'i18next';
import { initReactI18next } from 'react-i18next';
import zh from './zh.ts';
import en from './en.ts';
import inspectorZh from './inspector.zh.ts';
import inspectorEn from './inspector.en.ts';
import plannerZh from './planner.zh.ts';
import plannerEn from './planner.en.ts';

export const LANGS = ['zh-CN', 'en'] as const;
export type Lang = (typeof LANGS)[number];
const STORAGE_KEY = 'cep.lang';

function storedLang(): Lang {
  try {
    const v = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (v === 'en' || v === 'zh-CN') return v;
  } catch {
    /* private mode: no storage */
  }
  return 'zh-CN'; // Chinese by default, whatever the browser says: the product is for Chinese communities.
}

/** Creates an initialised i18next instance (one per app; tests make their own). */
export function createI18n(lang: Lang = storedLang()): i18n {
  const inst = i18next.createInstance();
  void inst.use(initReactI18next).init({
    resources: { 'zh-CN': { translation: zh }, en: { translation: en } },
    lng: lang,
    fallbackLng: 'zh-CN',
    interpolation: { escapeValue: false }, // React escapes
    returnObjects: true,
    initAsync: false,
  });
  // The inspector and operations pages keep their strings in files of their own (keys insp.*, ops.*).
  inst.addResourceBundle('zh-CN', 'translation', inspectorZh, true, false);
  inst.addResourceBundle('en', 'translation', inspectorEn, true, false);
  // The planner workbench likewise (keys pl.*).
  inst.addResourceBundle('zh-CN', 'translation', plannerZh, true, false);
  inst.addResourceBundle('en', 'translation', plannerEn, true, false);
  const sync = (l: string) => {
    if (typeof document !== 'undefined') document.documentElement.lang = l;
  };
  sync(inst.language);
  inst.on('languageChanged', (l) => {
    sync(l);
    try {
      globalThis.localStorage?.setItem(STORAGE_KEY, l);
    } catch {
      /* ignore */
    }
  });
  return inst;
}
