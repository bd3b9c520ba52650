import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { PgStore } from './postgres/store.js';
import { SqliteStore } from './sqlite/store.js';
import { StoreError } from './store-error.js';
import type { Store } from './types.js';

export type StoreSpec = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

const PgUrl = z.url({ protocol: /^postgres(ql)?$/ });

/**
 * Which store: `--store` first, then ORCHESTRATE_STORE, then the configuration's `store`, else
 * `sqlite://<workspace>/orchestrate.db`. `sqlite://PATH` is relative to the current directory
 * (`sqlite:///abs` is absolute).
 */
export function storeSpec(choices: { flag?: string | undefined; env?: string | undefined; config?: string | undefined }, workspace: string): StoreSpec | StoreError {
  const raw = choices.flag ?? (choices.env || undefined) ?? choices.config;
  if (raw === undefined) return { kind: 'sqlite', path: join(workspace, 'orchestrate.db') };
  if (raw.startsWith('sqlite://')) {
    const path = raw.slice('sqlite://'.length);
    if (!path) return new StoreError('config', 'sqlite:// needs a file path, e.g. sqlite://./orchestrate.db');
    return { kind: 'sqlite', path: resolve(path) };
  }
  if (/^postgres(ql)?:\/\//.test(raw)) {
    if (!PgUrl.safeParse(raw).success) return new StoreError('config', `not a valid PostgreSQL URL: ${raw.replace(/:[^:@/]*@/, ':***@')}`);
    return { kind: 'postgres', url: raw };
  }
  return new StoreError('config', `unknown store "${raw}": use sqlite://PATH or postgres://USER@HOST:PORT/DB`);
}

/** Opens the store the spec names; a failure is a value (a corrupt file, a newer schema, no server). */
export function openStoreAt(spec: StoreSpec, options: { readonly?: boolean; mustExist?: boolean; pgTimeoutMs?: number } = {}): Store | StoreError {
  try {
    if (spec.kind === 'postgres') return new PgStore(spec.url, options.pgTimeoutMs === undefined ? {} : { timeoutMs: options.pgTimeoutMs });
    if (options.mustExist && !existsSync(spec.path)) return new StoreError('io', `no session store at ${spec.path}`);
    return new SqliteStore(spec.path, options.readonly ? { readonly: true } : {});
  } catch (error) {
    if (error instanceof StoreError) return error;
    return new StoreError('io', error instanceof Error ? error.message : String(error));
  }
}
