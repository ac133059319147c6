/**
 * The map's label font, bundled: Noto Sans SC (SIL OFL, via @fontsource/noto-sans-sc), split by the
 * package into ~100 Unicode-range slices. We hand maplibre those slices through the style's
 * `font-faces`, so a label only downloads the slices its characters need — from our own origin,
 * never a glyph server. Characters outside every slice fall back to the machine's local fonts
 * (maplibre's default when the style has no `glyphs`).
 */
import type { FontFacesSpecification } from 'maplibre-gl';
import css400 from '@fontsource/noto-sans-sc/400.css?raw';

export const LABEL_FONT = 'Noto Sans SC Regular';

const files = import.meta.glob('../../../node_modules/@fontsource/noto-sans-sc/files/noto-sans-sc-[0-9]*-400-normal.woff2', {
  query: '?url',
  import: 'default',
  eager: true,
}) as Record<string, string>;

/** Parses fontsource's CSS into (file name → unicode-range list). Pure; exported for tests. */
export function parseFontsourceCss(css: string): { file: string; ranges: string[] }[] {
  const out: { file: string; ranges: string[] }[] = [];
  for (const block of css.split('@font-face').slice(1)) {
    const src = /url\(\.?\/?files\/([^)]+?\.woff2)\)/.exec(block);
    const range = /unicode-range:\s*([^;]+);/.exec(block);
    if (!src) continue;
    out.push({
      file: src[1],
      ranges: range ? range[1].split(',').map((r) => r.trim().toUpperCase().replace(/^U\+/, 'U+')) : [],
    });
  }
  return out;
}

let cached: FontFacesSpecification | null = null;

/** The `font-faces` entry for the style: every slice as a same-origin URL with its ranges. */
export function labelFontFaces(): FontFacesSpecification {
  if (cached) return cached;
  const byName = new Map<string, string>();
  for (const [path, url] of Object.entries(files)) byName.set(path.slice(path.lastIndexOf('/') + 1), url);
  const faces = parseFontsourceCss(css400)
    .filter((f) => byName.has(f.file))
    .map((f) => ({ url: absolute(byName.get(f.file)!), ...(f.ranges.length ? { 'unicode-range': f.ranges } : {}) }));
  cached = faces.length ? { [LABEL_FONT]: faces } : {};
  return cached;
}

function absolute(u: string): string {
  const base = typeof location !== 'undefined' && /^https?:/.test(location.href) ? location.href : 'http://localhost/';
  return new URL(u, base).href;
}
