/**
 * The map's label font, bundled: Noto Sans SC (SIL OFL, via @fontsource/noto-sans-sc), split by the
 * package into ~100 Unicode-range slices (listed in its unicode.json). We hand maplibre those slices
 * through the style's `font-faces`, so a label only downloads the slices its characters need — from
 * our own origin, never a glyph server. Characters outside every slice fall back to the machine's
 * local fonts (maplibre's default when the style has no `glyphs`).
 */
import type { FontFacesSpecification } from 'maplibre-gl';
import unicode from '@fontsource/noto-sans-sc/unicode.json';

export const LABEL_FONT = 'Noto Sans SC Regular';

const files = import.meta.glob(
  [
    '../../../node_modules/@fontsource/noto-sans-sc/files/noto-sans-sc-*-400-normal.woff2',
    // the all-in-one file duplicates the slices
    '!../../../node_modules/@fontsource/noto-sans-sc/files/noto-sans-sc-chinese-simplified-400-normal.woff2',
  ],
  { query: '?url', import: 'default', eager: true },
) as Record<string, string>;

/** fontsource's unicode.json ({"[12]": "U+…,U+…", "latin": …}) → (file name, ranges). Pure. */
export function slicesFromUnicodeJson(map: Record<string, string>, weight = 400): { file: string; ranges: string[] }[] {
  return Object.entries(map).map(([key, ranges]) => ({
    file: `noto-sans-sc-${key.replace(/^\[(\d+)\]$/, '$1')}-${weight}-normal.woff2`,
    ranges: ranges.split(',').map((r) => r.trim().toUpperCase()).filter(Boolean),
  }));
}

let cached: FontFacesSpecification | null = null;

/** The `font-faces` entry for the style: every slice as a same-origin URL with its ranges. */
export function labelFontFaces(): FontFacesSpecification {
  if (cached) return cached;
  const byName = new Map<string, string>();
  for (const [path, url] of Object.entries(files)) byName.set(path.slice(path.lastIndexOf('/') + 1), url);
  const faces = slicesFromUnicodeJson(unicode as Record<string, string>)
    .filter((f) => byName.has(f.file))
    .map((f) => ({ url: absolute(byName.get(f.file)!), 'unicode-range': f.ranges }));
  cached = faces.length ? { [LABEL_FONT]: faces } : {};
  return cached;
}

function absolute(u: string): string {
  const base = typeof location !== 'undefined' && /^https?:/.test(location.href) ? location.href : 'http://localhost/';
  return new URL(u, base).href;
}
