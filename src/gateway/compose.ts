import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { composeServices } from '@theguild/federation-composition';
import { parse } from 'graphql';

/**
 * Supergraph composition, ahead of time (CI, tests, `npm run compose`), never
 * at gateway start: the gateway serves exactly the supergraph that was checked.
 * @theguild/federation-composition is MIT and understands @authenticated and
 * @requiresScopes (Apollo's composition is Elastic-licensed).
 */
export interface SubgraphSource {
  name: string;
  /** Where the gateway reaches the subgraph; written into the supergraph. */
  url: string;
  /** The subgraph SDL (federation v2, with @link). */
  typeDefs: string;
}

/** supergraph.config.json: `{ "subgraphs": [{ "name", "url", "schema": "<path to SDL, relative to the file>" }] }` */
export interface SupergraphConfigFile {
  subgraphs: Array<{ name: string; url: string; schema: string }>;
}

export class CompositionError extends Error {
  override name = 'CompositionError';
}

export function composeSupergraph(subgraphs: SubgraphSource[]): string {
  const result = composeServices(subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.typeDefs) })));
  if (result.errors?.length) {
    throw new CompositionError(`Composition failed:\n${result.errors.map((e) => `  - ${e.message}`).join('\n')}`);
  }
  if (!result.supergraphSdl) throw new CompositionError('Composition produced no supergraph');
  return result.supergraphSdl;
}

/** Read a config file; `urlOverrides` (name → url) lets a dev script put real ports in. */
export function loadSubgraphSources(configPath: string, urlOverrides: Record<string, string> = {}): SubgraphSource[] {
  const file = JSON.parse(readFileSync(configPath, 'utf8')) as SupergraphConfigFile;
  if (!Array.isArray(file.subgraphs) || file.subgraphs.length === 0) throw new CompositionError(`${configPath}: "subgraphs" must list at least one subgraph`);
  return file.subgraphs.map((s) => {
    if (!s.name || !s.url || !s.schema) throw new CompositionError(`${configPath}: every subgraph needs name, url and schema`);
    return { name: s.name, url: urlOverrides[s.name] ?? s.url, typeDefs: readFileSync(resolve(dirname(configPath), s.schema), 'utf8') };
  });
}
