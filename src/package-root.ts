import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The installed package's folder, found by walking up to our package.json. Paths to the files
 * that ship beside the code (package.json, the dashboard's static files, the PostgreSQL bridge's
 * worker thread, the CLI entry) are taken from here, not from each module's own URL: the CLI
 * runs from a bundle (`dist/bin/`) in which every module shares one URL, while tests run the
 * sources and other tools the tsc output.
 */
function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'orchestrate') return dir;
    if (dirname(dir) === dir) throw new Error(`orchestrate's package.json not found above ${from}`);
  }
}

export const PACKAGE_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

/** A file of the built package (`dist/...`), e.g. `distPath('server', 'dashboard')`. */
export const distPath = (...parts: string[]): string => join(PACKAGE_ROOT, 'dist', ...parts);

/** The CLI as users run it (the bundle): what agents' hooks and the reporting server are started with. */
export const CLI_ENTRY = distPath('bin', 'cli.js');

export const packageVersion = (): string => (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
