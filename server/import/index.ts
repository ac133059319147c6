/**
 * importFile(db, file, opts): OSM (.osm, .osm.pbf) or a shelter list (.csv, .geojson/.json) into the database,
 * all in one transaction. The file is parsed completely before the transaction starts, so a bad file never
 * touches the database; a failure inside the transaction rolls everything back.
 */
import path from 'node:path';
import type { Db } from '../db/index.ts';
import { parseOsmFile } from './osm.ts';
import { readShelterList, type Crs } from './shelters.ts';
import { loadOsmModel, loadShelterList, type ImportReport, type LoadOptions } from './load.ts';

export type { ImportReport, ImportStats, LoadOptions } from './load.ts';
export { parseOsmFile, OsmFileError, type OsmModel } from './osm.ts';
export { readShelterList, ListFileError, loadMapping, detectMapping, listMappings, type ShelterList, type Mapping } from './shelters.ts';

export interface ImportOptions extends LoadOptions {
  /** CRS of a shelter list's coordinates (default: the mapping's) */
  crs?: Crs;
  /** shelter-list mapping: a name in data/mappings/ or a path; auto-detected from the header when absent */
  mapping?: string;
}

export type FileKind = 'osm' | 'list';
export function fileKind(file: string): FileKind {
  if (/\.osm(\.pbf)?$|\.pbf$|\.osm\.xml$/i.test(file)) return 'osm';
  if (/\.(csv|geojson|json)$/i.test(file)) return 'list';
  throw new Error(`${path.basename(file)}: unknown file type (expected .osm, .osm.pbf, .csv, .geojson or .json)`);
}

export async function importFile(db: Db, file: string, opts: ImportOptions = {}): Promise<ImportReport> {
  const say = opts.onProgress ?? (() => {});
  if (fileKind(file) === 'osm') {
    const model = await parseOsmFile(file, { onProgress: say });
    return loadOsmModel(db, model, opts);
  }
  const list = readShelterList(file, { mapping: opts.mapping, crs: opts.crs });
  say(`${list.source}: ${list.rows.length} rows with mapping ${list.mapping} (${list.crs})${list.rejected.length ? `, ${list.rejected.length} rejected` : ''}`);
  for (const r of list.rejected) say(`  rejected ${r.place}: ${r.reason}`);
  return loadShelterList(db, list, opts);
}
