import 'reflect-metadata';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { printSchemaFile, printSubgraphFile } from '../schema-printer';
import { renderApiReference, withReference } from '../api-reference';
import { buildBaseSchema } from '../schema';

const out = join(process.cwd(), 'schema', 'schema.graphql');
mkdirSync(join(process.cwd(), 'schema'), { recursive: true });
writeFileSync(out, printSchemaFile());
const sub = join(process.cwd(), 'schema', 'subgraph.graphql');
writeFileSync(sub, printSubgraphFile());
const docs = join(process.cwd(), 'docs', 'api.md');
writeFileSync(docs, withReference(readFileSync(docs, 'utf8'), renderApiReference(buildBaseSchema())));
process.stdout.write(`wrote ${out}, ${sub} and the generated half of ${docs}\n`);
