// Writes schema/orchestrate.config.schema.json from the built zod schema (run `npm run build` first;
// `npm run gen:schema` does both). test/config/json-schema.test.ts fails when the file is stale.
import { writeFileSync } from 'node:fs';
import { renderConfigJsonSchema } from '../dist/config/schema.js';

const out = new URL('../schema/orchestrate.config.schema.json', import.meta.url);
writeFileSync(out, renderConfigJsonSchema());
console.log(`wrote ${out.pathname}`);
