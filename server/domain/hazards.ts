/**
 * Hazards and evacuation-site kinds: which kinds suit which hazard by default, and how OSM tags map to a site kind.
 * Tag list from ../shared/docs/DOMAIN.md ("OSM tags"): leisure=park|garden|playground|pitch|stadium|track,
 * landuse=grass|recreation_ground|village_green, place=square, highway=pedestrian + area=yes,
 * emergency=assembly_point (+ assembly_point:<hazard>). amenity=shelter is a weather shelter, NOT an evacuation site.
 */

export const HAZARDS = ['earthquake', 'fire', 'flood', 'air_raid', 'landslide', 'tsunami', 'storm_surge', 'volcano'] as const;
export type Hazard = (typeof HAZARDS)[number];

export const SITE_KINDS = [
  'green_space', 'park', 'square', 'playground', 'pitch', 'civil_defence_work', 'assembly_point',
] as const;
export type SiteKind = (typeof SITE_KINDS)[number];

/** Open spaces: the places GB 50413-2007 §8.2 / the Changzhou opinion name for earthquake and fire evacuation. */
export const OPEN_SPACE_KINDS: readonly SiteKind[] = ['green_space', 'park', 'square', 'playground', 'pitch', 'assembly_point'];

export type Tags = Record<string, string>;

export function isHazard(s: string): s is Hazard {
  return (HAZARDS as readonly string[]).includes(s);
}

/**
 * Default hazards a site kind suits when its source says nothing:
 *  - earthquake / fire → open spaces (collapse and fire spread are escaped in the open);
 *  - air_raid → civil-defence works (人防工程) only;
 *  - flood (and other water/slope hazards) → never by default: only sites a source explicitly flags
 *    (an open park may be the lowest ground around).
 */
export function defaultHazards(kind: SiteKind): Hazard[] {
  if (kind === 'civil_defence_work') return ['air_raid'];
  return ['earthquake', 'fire'];
}

/** Whether a site suits a hazard: its explicit list when it has one, else the kind's default. */
export function siteSuits(site: { kind: SiteKind; hazards?: readonly string[] | null }, hazard: Hazard): boolean {
  const list = site.hazards && site.hazards.length ? site.hazards : defaultHazards(site.kind);
  return list.includes(hazard);
}

const LEISURE_KIND: Record<string, SiteKind> = {
  park: 'park',
  garden: 'green_space',
  playground: 'playground',
  pitch: 'pitch',
  stadium: 'pitch',
  track: 'pitch',
};
const LANDUSE_KIND: Record<string, SiteKind> = {
  grass: 'green_space',
  recreation_ground: 'green_space',
  village_green: 'green_space',
};

/** Values of assembly_point:<hazard>=yes mapped to our hazard names (OSM wiki Tag:emergency=assembly_point). */
const ASSEMBLY_HAZARD_KEYS: Record<string, Hazard> = {
  earthquake: 'earthquake',
  fire: 'fire',
  flood: 'flood',
  landslide: 'landslide',
  tsunami: 'tsunami',
  storm_surge: 'storm_surge',
  volcano: 'volcano',
  air_raid: 'air_raid',
};

const YES = new Set(['yes', 'designated', 'true', '1']);

/** The site kind OSM tags describe, or null when the element is not an evacuation site. */
export function siteKindFromTags(tags: Tags): SiteKind | null {
  if (tags.emergency === 'assembly_point') return 'assembly_point';
  if (tags.amenity === 'shelter') return null; // weather shelter — DOMAIN.md
  const l = tags.leisure && LEISURE_KIND[tags.leisure];
  if (l) return l;
  if (tags.place === 'square') return 'square';
  if (tags.highway === 'pedestrian' && tags.area === 'yes') return 'square';
  const u = tags.landuse && LANDUSE_KIND[tags.landuse];
  if (u) return u;
  return null;
}

/**
 * Hazards stated by OSM tags: `assembly_point:<hazard>=yes` adds, `=no` removes. Returns null when the tags say
 * nothing (the kind's default then applies).
 */
export function hazardsFromTags(tags: Tags, kind: SiteKind): Hazard[] | null {
  const add: Hazard[] = [];
  const remove = new Set<Hazard>();
  for (const [k, v] of Object.entries(tags)) {
    if (!k.startsWith('assembly_point:')) continue;
    const h = ASSEMBLY_HAZARD_KEYS[k.slice('assembly_point:'.length)];
    if (!h) continue;
    if (YES.has(v)) add.push(h);
    else if (v === 'no') remove.add(h);
  }
  if (!add.length && !remove.size) return null;
  const base = add.length ? add : defaultHazards(kind);
  return [...new Set(base)].filter((h) => !remove.has(h));
}
