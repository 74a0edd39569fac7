import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { printSchemaFile, printSubgraphFile } from '../schema-printer';

const out = join(process.cwd(), 'schema', 'schema.graphql');
mkdirSync(join(process.cwd(), 'schema'), { recursive: true });
writeFileSync(out, printSchemaFile());
const sub = join(process.cwd(), 'schema', 'subgraph.graphql');
writeFileSync(sub, printSubgraphFile());
process.stdout.write(`wrote ${out} and ${sub}\n`);
