/**
 * Loads the generated demo district into a database through the same importer as real data, then runs a first
 * earthquake plan so every view has something to show. Used by `npm start` on an empty database and by tests.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Db } from '../db/index.ts';
import { writeDistrict } from '../../scripts/gen-district.ts';
import { DEFAULT_SEED } from './district.ts';
import { importFile } from '../import/index.ts';
import { runAndSavePlan } from '../plans/service.ts';

export async function loadDemo(db: Db, opts: { dir?: string; plan?: boolean } = {}) {
  const t0 = performance.now();
  const gen = await writeDistrict(opts.dir ?? mkdtempSync(path.join(tmpdir(), 'cep-demo-')), 'demo', DEFAULT_SEED);
  const osm = await importFile(db, gen.files.osm);
  const cd = await importFile(db, gen.files.csv, { mapping: 'cn-civil-defence' });
  const plan = opts.plan === false ? null : await runAndSavePlan(db, { hazard: 'earthquake', name: '演示：地震疏散计划' });
  return { gen, osm, cd, planId: plan?.id ?? null, ms: Math.round(performance.now() - t0) };
}
