// The bin entry must be executable after `npm install` builds it (tsc does not set modes).
import { chmodSync, existsSync } from 'node:fs';

const entry = new URL('../dist/cli.js', import.meta.url);
if (existsSync(entry)) chmodSync(entry, 0o755);
