// The CLI as it is installed and run: dist/bin/cli.js, one bundle of our code and its
// dependencies, split into chunks along the commands' dynamic imports. Node's ESM loader costs
// about 1 ms per file; `orchestrate "task"` loaded ~350 files (execa and zod alone ~200) before
// its first agent could start, and the agents' guard hooks start a CLI for every tool call.
import { chmodSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * zod's namespace re-exports all of its ~60 message locales (about half of the CLI's code);
 * orchestrate only uses its default English messages. Compiling the rest cost ~30 ms per start.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) => (args.importer.includes('/node_modules/zod/') ? { path: 'zod-locales', namespace: 'zod-en' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'zod-en' }, () => ({ contents: "export { default as en } from 'zod/v4/locales/en.js';", resolveDir: fileURLToPath(new URL('..', import.meta.url)) }));
  },
};

const out = new URL('../dist/bin/', import.meta.url);
rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: [new URL('../dist/cli.js', import.meta.url).pathname],
  outdir: out.pathname,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  plugins: [zodEnglishOnly],
  // Native or optional at runtime, or reading their own files next to their code: loaded from
  // node_modules as usual. (react-devtools-core is an optional import of ink's dev mode.)
  external: ['better-sqlite3', 'pg-native', 'react-devtools-core', 'elkjs'],
  // CommonJS dependencies call require(); an ESM bundle has none of its own.
  banner: { js: "import { createRequire as __orchestrateRequire } from 'node:module'; const require = __orchestrateRequire(import.meta.url);" },
});
chmodSync(new URL('cli.js', out), 0o755);
