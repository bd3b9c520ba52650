import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError } from '../store-error.js';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

export { StoreError } from '../store-error.js';

/**
 * Opens (creating if needed) the store: WAL so readers (dashboard, `sessions`) never block
 * the writer; synchronous=NORMAL because in WAL mode a killed process loses no committed
 * transaction (only a power cut could lose the last ones).
 */
export function openDb(path: string, options: { readonly?: boolean } = {}): Db {
  if (!options.readonly) mkdirSync(dirname(path), { recursive: true });
  let db: Db;
  try {
    db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  } catch (error) {
    throw new StoreError('io', `cannot open ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    db.pragma('busy_timeout = 5000');
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
    }
    // A file that is not a database fails here, with a message worth showing.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    if (!options.readonly) migrate(db);
    else checkVersion(db);
  } catch (error) {
    db.close();
    if (error instanceof StoreError) throw error;
    throw new StoreError('corrupt', `${path} is not a usable orchestrate store: ${error instanceof Error ? error.message : String(error)}`);
  }
  return db;
}

function checkVersion(db: Db): number {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new StoreError('too_new', `the store has schema version ${version}, newer than this orchestrate (${MIGRATIONS.length}); upgrade orchestrate`);
  }
  return version;
}

function migrate(db: Db): void {
  const version = checkVersion(db);
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v] ?? '');
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

/** `PRAGMA integrity_check`: "ok", or the problems found. */
export function integrityCheck(db: Db): string[] {
  return (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
}
