/**
 * npm run import -- <file> [--json] [--crs gcj02|bd09|wgs84] [--mapping name|path] [--append]
 * Imports an OSM file (.osm, .osm.pbf) or a shelter / civil-defence list (.csv, .geojson) into the database from
 * DATABASE_URL (PostgreSQL/PostGIS) or DATA_DIR (embedded PGlite, default ./.data). Progress goes to stderr; with
 * --json the last stdout line is {"buildings":N,"sites":N,"roadEdges":N,"roadNodes":N,"communities":N,"population":N,"ms":N}.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { openDb, type Db } from '../server/db/index.ts';
import { importFile } from '../server/import/index.ts';

const Args = z.object({
  file: z.string().min(1).refine((f) => existsSync(f), { message: 'file not found' }),
  json: z.boolean().default(false),
  crs: z.enum(['wgs84', 'gcj02', 'bd09']).optional(),
  mapping: z.string().min(1).optional(),
  append: z.boolean().default(false),
});

async function main(): Promise<number> {
  let args: z.infer<typeof Args>;
  try {
    const { values, positionals } = parseArgs({
      allowPositionals: true,
      options: { json: { type: 'boolean' }, crs: { type: 'string' }, mapping: { type: 'string' }, append: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      console.error('usage: npm run import -- <file.osm|file.osm.pbf|list.csv|list.geojson> [--json] [--crs gcj02|bd09|wgs84] [--mapping name|path] [--append]');
      return 0;
    }
    if (positionals.length !== 1) throw new Error(`expected exactly one file, got ${positionals.length}`);
    const r = Args.safeParse({ ...values, file: positionals[0] });
    if (!r.success) throw new Error(r.error.issues.map((i) => `${i.path.join('.') || 'argument'}: ${i.message}`).join('; '));
    args = r.data;
  } catch (e) {
    console.error(`import: ${(e as Error).message}\nusage: npm run import -- <file> [--json] [--crs gcj02|bd09|wgs84] [--mapping name|path] [--append]`);
    return 2;
  }
  let db: Db | undefined;
  try {
    db = await openDb();
    const r = await importFile(db, args.file, {
      append: args.append, crs: args.crs, mapping: args.mapping,
      onProgress: (msg) => process.stderr.write(msg + '\n'),
    });
    for (const w of r.warnings.slice(0, 20)) process.stderr.write(`warning: ${w}\n`);
    if (r.warnings.length > 20) process.stderr.write(`… and ${r.warnings.length - 20} more warnings\n`);
    const out = { buildings: r.buildings, sites: r.sites, roadEdges: r.roadEdges, roadNodes: r.roadNodes, communities: r.communities, population: r.population, ms: r.ms };
    if (args.json) process.stdout.write(JSON.stringify(out) + '\n');
    else process.stderr.write(`imported ${r.file}: ${JSON.stringify(out)} (import run ${r.importRunId}, data version ${r.dataVersion}${r.components ? `, ${r.components} network components` : ''})\n`);
    return 0;
  } catch (e) {
    console.error(`import failed: ${(e as Error).message}\nThe database was left unchanged.`);
    return 1;
  } finally {
    await db?.close();
  }
}

process.exitCode = await main();
