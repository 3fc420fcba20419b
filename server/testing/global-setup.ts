import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../db/embedded.js';
import { createDb, createPool } from '../../db/index.js';
import { migrateToLatest } from '../../db/migrate.js';
import { MIGRATED_TEMPLATE } from './template.js';

/** One real embedded PostgreSQL for the whole test run; each test file makes its own database in it. */
let pg: EmbeddedDatabase | undefined;
let dir: string | undefined;

export async function setup(project: TestProject) {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flux-klein-test-pg-'));
  fs.chmodSync(dir, 0o755); // PostgreSQL runs as the `postgres` user when tests run as root
  pg = await startEmbeddedPostgres({ dir: path.join(dir, 'data'), database: 'postgres', persistent: false });
  // A database migrated once, from which startTestServer copies each test server's database
  // (CREATE DATABASE … TEMPLATE: a file copy, instead of running every migration per server).
  const admin = createPool(pg.url, 1);
  await admin.query(`create database ${MIGRATED_TEMPLATE}`);
  await admin.end();
  const url = new URL(pg.url);
  url.pathname = `/${MIGRATED_TEMPLATE}`;
  const db = createDb(createPool(url.toString(), 1));
  try {
    await migrateToLatest(db);
  } finally {
    await db.destroy(); // no session may stay on a template while it is copied
  }
  project.provide('pgAdminUrl', pg.url);
}

export async function teardown() {
  await pg?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}
