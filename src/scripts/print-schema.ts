import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { printSchemaFile } from '../schema-printer';

const out = join(process.cwd(), 'schema', 'schema.graphql');
mkdirSync(join(process.cwd(), 'schema'), { recursive: true });
writeFileSync(out, printSchemaFile());
process.stdout.write(`wrote ${out}\n`);
