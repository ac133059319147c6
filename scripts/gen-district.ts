/**
 * Write the demo / benchmark district: DIR/district.osm (OSM XML, WGS-84) and DIR/civil_defence.csv (UTF-8, GCJ-02).
 *   npx tsx scripts/gen-district.ts --out DIR [--size demo|city|N] [--buildings N] [--seed N]
 * Prints one JSON line with the counts (buildings, walkable ways, nodes, sites, CD works …), bytes and ms.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateDistrict, parseSize, DEFAULT_SEED, type DistrictSize } from '../server/demo/district.ts';

export async function writeDistrict(outDir: string, size: DistrictSize, seed: number) {
  const t0 = performance.now();
  mkdirSync(outDir, { recursive: true });
  const files = {
    osm: path.join(outDir, 'district.osm'),
    csv: path.join(outDir, 'civil_defence.csv'),
  };
  const streams: Record<'osm' | 'csv', WriteStream> = {
    osm: createWriteStream(files.osm),
    csv: createWriteStream(files.csv),
  };
  const bytes = { osm: 0, csv: 0 };
  const gen = generateDistrict({ size, seed });
  let r = gen.next();
  while (!r.done) {
    const { file, text } = r.value;
    const buf = Buffer.from(text, 'utf8');
    bytes[file] += buf.length;
    if (!streams[file].write(buf)) await once(streams[file], 'drain');
    r = gen.next();
  }
  await Promise.all(Object.values(streams).map((s) => new Promise<void>((res, rej) => s.end((e?: Error | null) => (e ? rej(e) : res())))));
  return { ...r.value, files, osmBytes: bytes.osm, csvBytes: bytes.csv, ms: Math.round(performance.now() - t0) };
}

async function main() {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      size: { type: 'string', default: 'demo' },
      buildings: { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.out) {
    console.error('usage: npx tsx scripts/gen-district.ts --out DIR [--size demo|city|N] [--buildings N] [--seed N]');
    process.exit(values.help ? 0 : 2);
  }
  const size = parseSize(values.buildings ?? values.size!);
  const seed = values.seed === undefined ? DEFAULT_SEED : Number(values.seed);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got "${values.seed}"`);
  const res = await writeDistrict(values.out, size, seed);
  const { files, ...counts } = res;
  console.log(JSON.stringify({ ...counts, osm: files.osm, csv: files.csv }));
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('gen-district.ts')) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
