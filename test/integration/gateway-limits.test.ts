import type { RunningGateway } from '../../src/gateway/gateway';
import { startSupergraph, Supergraph } from '../helpers/supergraph';
import { auth, createToken, createWorld, World } from '../helpers/world';

/**
 * The gateway's own query and request limits (issue 6, item 1): the same
 * QUERY_MAX_* / BODY_LIMIT_BYTES variables as the tokens service, enforced
 * before anything is planned or sent to a subgraph, always answered with a
 * client error (4xx, a public code), never a 5xx.
 */
const codes = (errors: Array<{ extensions?: { code?: string } }> | undefined) => (errors ?? []).map((e) => e.extensions?.code);

// Depth 7 (apiTokens > edges > node > owner > account > policy > maxActiveTokens), across both subgraphs (User.items).
const DEEPEST = `{ apiTokens(first: 100) { edges { cursor node { id owner { id items { id name quantity } account { id policy { maxActiveTokens } } } createdBy { id name } revokedBy { id } } } pageInfo { hasNextPage endCursor } totalCount } }`;
const DEPTH_6 = '{ apiTokens { edges { node { owner { account { id } } } } } }';
const tooDeep = `{ ${'me { account { '.repeat(6)}id${' } }'.repeat(6)} }`;
const aliasBomb = `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
const directiveFlood = `{ me { id ${'@include(if: true) '.repeat(60)} } }`;
const tokenFlood = `{ me { ${'id '.repeat(3000)} } }`;
// 10 aliases, depth 7, few tokens: only the cost budget can refuse it.
const costly = `{ ${Array.from({ length: 10 }, (_, i) => `t${i}: apiTokens { edges { node { owner { account { policy { maxActiveTokens } } } } } }`).join(' ')} }`;

interface Raw {
  status: number;
  body: any;
  text: string;
}
async function send(url: string, init: RequestInit & { duplex?: 'half' }): Promise<Raw> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: any = null;
  try {
    body = JSON.parse(text);
  } catch {
    /* keep text */
  }
  return { status: res.status, body, text };
}

describe('gateway query and request limits', () => {
  let sg: Supergraph;
  let world: World;
  let gw: RunningGateway;
  let prod: RunningGateway;
  let tight: RunningGateway;
  let shallow: RunningGateway;
  let memberKey: string;

  /** Run fn; its result, and how many calls the subgraphs received meanwhile (a refused operation must make none). */
  async function subgraphCallsDuring<T>(fn: () => Promise<T>): Promise<{ result: T; calls: number }> {
    const before = sg.tokensRequests.length + sg.inventoryRequests.length;
    const result = await fn();
    return { result, calls: sg.tokensRequests.length + sg.inventoryRequests.length - before };
  }

  beforeAll(async () => {
    sg = await startSupergraph();
    world = await createWorld(sg.app);
    await createToken(sg.app, world.owner, { name: 'listed' });
    memberKey = auth.apiKey((await createToken(sg.app, world.member, { role: 'MEMBER', name: 'gw-limits' })).secret);
    sg.inventory.assign(world.owner.accountId, world.owner.id, 'item-1');
    gw = await sg.startGateway('dev');
    prod = await sg.startGateway('prod', { env: { NODE_ENV: 'production' } });
    // One variable tunes the gateway too: the tokens service reads the same names.
    tight = await sg.startGateway('tight', { env: { QUERY_MAX_COST: '300', BODY_LIMIT_BYTES: '2048' } });
    shallow = await sg.startGateway('shallow', { env: { QUERY_MAX_DEPTH: '6' } });
  });
  afterAll(() => sg?.stop());

  describe('legitimate operations pass', () => {
    test('the deepest legitimate operation, across both subgraphs, runs under the default limits', async () => {
      const res = await sg.gql(gw, DEEPEST, {}, world.owner.session);
      expect(res.status).toBe(200);
      expect(res.errors).toBeUndefined();
      const node = res.data.apiTokens.edges.find((e: any) => e.node.owner.id === world.owner.id).node;
      expect(node.owner.account.policy.maxActiveTokens).toBe(50);
      expect(node.owner.items).toEqual([{ id: 'item-1', name: 'Widget', quantity: 12 }]);
    });

    test('with QUERY_MAX_DEPTH=6 a depth-6 operation passes and the depth-7 one is refused', async () => {
      const ok = await sg.gql(shallow, DEPTH_6, {}, world.owner.session);
      expect(ok.errors).toBeUndefined();
      expect(ok.data.apiTokens.edges.length).toBeGreaterThan(0);
      const deep = await sg.gql(shallow, DEEPEST, {}, world.owner.session);
      expect(deep.status).toBe(400);
      expect(codes(deep.errors)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(deep.errors?.[0].message).toMatch(/depth limit of 6 exceeded, found 7/);
    });

    test('introspection is not counted against depth or cost', async () => {
      const res = await sg.gql(gw, '{ __schema { types { name fields { name type { name kind ofType { name kind ofType { name kind ofType { name kind ofType { name } } } } } } } } }');
      expect(res.errors).toBeUndefined();
      expect(res.data.__schema.types.length).toBeGreaterThan(10);
    });

    test('mutations over POST, and queries over GET with a preflight header, still run', async () => {
      const m = await sg.gql(gw, 'mutation { adjustStock(itemId: "item-2", delta: 1) { quantity } }', {}, memberKey);
      expect(m.errors).toBeUndefined();
      expect(m.data.adjustStock.quantity).toBe(4);
      const get = await send(`${gw.url}?query=${encodeURIComponent('{ catalog { name } }')}`, { headers: { 'apollo-require-preflight': 'true' } });
      expect(get.status).toBe(200);
      expect(get.body.data.catalog).toHaveLength(2);
    });
  });

  describe('abusive operations are refused before any subgraph call, with a client error', () => {
    test.each([
      ['too deep', tooDeep, /depth limit of 10 exceeded/i],
      ['too many aliases', aliasBomb, /aliases limit of 15 exceeded/i],
      ['too many directives', directiveFlood, /directives limit of 50 exceeded/i],
    ])('%s: GRAPHQL_VALIDATION_FAILED, HTTP 400', async (_name, query, message) => {
      const { result: res, calls } = await subgraphCallsDuring(() => sg.gql(gw, query, {}, world.owner.session));
      expect(res.status).toBe(400);
      expect(codes(res.errors)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(res.errors?.[0].message).toMatch(message);
      expect(res.data).toBeUndefined();
      expect(calls).toBe(0);
    });

    test('too costly (QUERY_MAX_COST=300): GRAPHQL_VALIDATION_FAILED, HTTP 400; the default budget lets it through', async () => {
      const { result: res, calls } = await subgraphCallsDuring(() => sg.gql(tight, costly, {}, world.owner.session));
      expect(res.status).toBe(400);
      expect(codes(res.errors)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(res.errors?.[0].message).toMatch(/cost limit of 300 exceeded/i);
      expect(calls).toBe(0);
      const cheap = await sg.gql(tight, '{ me { id } }', {}, world.owner.session);
      expect(cheap.data.me.id).toBe(world.owner.id);
      expect((await sg.gql(gw, costly, {}, world.owner.session)).errors).toBeUndefined();
    });

    test('too many tokens: GRAPHQL_PARSE_FAILED, HTTP 400', async () => {
      const { result: res, calls } = await subgraphCallsDuring(() => sg.gql(gw, tokenFlood, {}, world.owner.session));
      expect(res.status).toBe(400);
      expect(codes(res.errors)).toEqual(['GRAPHQL_PARSE_FAILED']);
      expect(res.errors?.[0].message).toMatch(/token limit of 2000 exceeded/i);
      expect(calls).toBe(0);
    });

    test('a body over BODY_LIMIT_BYTES is refused with 413, whether its length is declared or streamed', async () => {
      const body = JSON.stringify({ query: '{ catalog { name } }', variables: { junk: 'x'.repeat(4096) } });
      const { calls } = await subgraphCallsDuring(async () => {
        const declared = await send(tight.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        expect(declared.status).toBe(413);
        expect(codes(declared.body.errors)).toEqual(['BAD_REQUEST']);
        expect(declared.body.errors[0].message).toBe('Request body too large');
        // No Content-Length: chunked transfer, counted while it is read.
        const encoded = new TextEncoder().encode(body);
        const stream = new ReadableStream<Uint8Array>({
          start(controller) {
            for (let i = 0; i < encoded.length; i += 1024) controller.enqueue(encoded.slice(i, i + 1024));
            controller.close();
          },
        });
        const chunked = await send(tight.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream, duplex: 'half' });
        expect(chunked.status).toBe(413);
        expect(codes(chunked.body.errors)).toEqual(['BAD_REQUEST']);
      });
      expect(calls).toBe(0);
      // Under the limit the same gateway answers, and the default (100 KiB) gateway takes the big body.
      expect((await sg.gql(tight, '{ catalog { name } }')).data.catalog).toHaveLength(2);
      const big = await send(gw.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(big.status).toBe(200);
      expect((await fetch(gw.url.replace(/\/graphql$/, '/healthz'))).status).toBe(200);
    });

    test('a batched (array) body is refused: one operation per request', async () => {
      const { calls } = await subgraphCallsDuring(async () => {
        const res = await send(gw.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: world.owner.session },
          body: JSON.stringify([{ query: '{ me { id } }' }, { query: '{ catalog { name } }' }]),
        });
        expect(res.status).toBe(400);
        expect(codes(res.body.errors)).toEqual(['BAD_REQUEST']);
        expect(res.body.errors[0].message).toMatch(/batching is not supported/i);
        expect(res.body.data).toBeUndefined();
      });
      expect(calls).toBe(0);
    });

    test('a mutation over GET is refused (405) and not run, even with the preflight header', async () => {
      const q = encodeURIComponent('mutation { adjustStock(itemId: "item-1", delta: 100) { quantity } }');
      const { calls } = await subgraphCallsDuring(async () => {
        const res = await send(`${gw.url}?query=${q}`, { headers: { authorization: memberKey, 'apollo-require-preflight': 'true' } });
        expect(res.status).toBe(405);
        expect(codes(res.body.errors)).toEqual(['BAD_REQUEST']);
        expect(res.body.errors[0].message).toMatch(/POST/);
      });
      expect(calls).toBe(0);
      const after = await sg.gql(gw, '{ catalog { id quantity } }', {}, memberKey);
      expect(after.data.catalog[0]).toEqual({ id: 'item-1', quantity: 12 });
    });

    test('CSRF: a simple request (text/plain POST, or GET) without a preflight header is refused (403)', async () => {
      const { calls } = await subgraphCallsDuring(async () => {
        const plain = await send(gw.url, {
          method: 'POST',
          headers: { 'content-type': 'text/plain', authorization: memberKey },
          body: JSON.stringify({ query: 'mutation { adjustStock(itemId: "item-1", delta: 100) { quantity } }' }),
        });
        expect(plain.status).toBe(403);
        expect(codes(plain.body.errors)).toEqual(['BAD_REQUEST']);
        expect(plain.body.errors[0].message).toMatch(/CSRF/);
        const get = await send(`${gw.url}?query=${encodeURIComponent('{ catalog { name } }')}`, {});
        expect(get.status).toBe(403);
        expect(codes(get.body.errors)).toEqual(['BAD_REQUEST']);
      });
      expect(calls).toBe(0);
      const after = await sg.gql(gw, '{ catalog { id quantity } }', {}, memberKey);
      expect(after.data.catalog[0].quantity).toBe(12);
    });
  });

  describe('production', () => {
    test('limit errors do not reveal the configured limits (or what was found)', async () => {
      for (const [query, code] of [
        [tooDeep, 'GRAPHQL_VALIDATION_FAILED'],
        [aliasBomb, 'GRAPHQL_VALIDATION_FAILED'],
        [directiveFlood, 'GRAPHQL_VALIDATION_FAILED'],
        [tokenFlood, 'GRAPHQL_PARSE_FAILED'],
      ]) {
        const res = await sg.gql(prod, query, {}, world.owner.session);
        expect(res.status).toBe(400);
        expect(codes(res.errors)).toEqual([code]);
        expect(res.errors?.[0].message).toBe('Syntax Error: Query validation error.');
        expect(res.raw).not.toMatch(/\b(10|12|15|40|50|60|2000)\b/);
      }
      // The limits are the same ones: a legitimate operation still runs.
      const ok = await sg.gql(prod, DEEPEST, {}, world.owner.session);
      expect(ok.errors).toBeUndefined();
    });

    test('field suggestions are blocked in production and given in development', async () => {
      const typo = '{ catalog { nme } }';
      const dev = await sg.gql(gw, typo);
      expect(dev.errors?.[0].message).toMatch(/Did you mean "name"\?/);
      const res = await sg.gql(prod, typo);
      expect(codes(res.errors)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(res.errors?.[0].message).toMatch(/Cannot query field "nme"/);
      expect(res.raw).not.toMatch(/Did you mean|"name"/);
    });
  });
});
