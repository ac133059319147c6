/** Builds one migrated PGlite + PostGIS template for all test files (restoring it is ~4× faster than creating). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { openDb } from '../server/db/index.ts';

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(path.join(tmpdir(), 'cep-template-'));
  const db = await openDb({ dataDir: 'memory://' });
  const blob = await (db as any).pglite.dumpDataDir('gzip');
  await db.close();
  const file = path.join(dir, 'template.tar.gz');
  writeFileSync(file, Buffer.from(await blob.arrayBuffer()));
  project.provide('pgliteTemplate' as never, file as never);
}
