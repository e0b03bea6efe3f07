// Writes docs/schemas/*.schema.json from the zod schemas (schemas/json-schema.ts).
// test/schemas/json-schema.test.ts fails when the committed files and the code disagree.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonSchemaFiles, schemaText } from '../schemas/json-schema.ts';

const dir = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'docs', 'schemas');
mkdirSync(dir, { recursive: true });
for (const [name, schema] of Object.entries(jsonSchemaFiles())) writeFileSync(join(dir, name), schemaText(schema));
