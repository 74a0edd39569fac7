import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { buildSubgraphSchema } from '@apollo/subgraph';
import express from 'express';
import { GraphQLError } from 'graphql';
import gql from 'graphql-tag';
// An external subgraph would write: import { verifyGatewayIdentity, ... } from 'tokengate';
import { GatewayIdentity, GatewayIdentityError, verifyGatewayIdentity } from '../../src/subgraph-kit';

/**
 * A small example subgraph: an inventory that extends Tokengate's `User` with
 * `items`, protected by the subgraph kit. It refuses every call that lacks the
 * gateway credential, and takes the caller from the gateway's signed identity.
 * The gateway enforces @authenticated / @requiresScopes; the mutation checks
 * its scope again here (defence in depth: directives are inert in a subgraph).
 */
export const INVENTORY_SDL_PATH = [join(__dirname, 'schema.graphql'), join(__dirname, '../../../examples/inventory/schema.graphql')].find((p) => existsSync(p))!;
export const INVENTORY_SDL = readFileSync(INVENTORY_SDL_PATH, 'utf8');

interface Item {
  id: string;
  name: string;
  quantity: number;
  supplier: string;
  unitCost: number;
  reorderLevel: number;
}
interface InventoryContext {
  identity: GatewayIdentity | null;
}

export interface InventoryOptions {
  /** The tokens service's JWKS, e.g. http://localhost:4000/.well-known/jwks.json */
  jwksUrl: string;
  gatewaySecret: string;
  /** This subgraph's name in the supergraph (the identity audience). Default "inventory". */
  name?: string;
  /** Tests: see every request's headers. */
  onRequest?: (headers: http.IncomingHttpHeaders) => void;
}

export interface InventoryServer {
  url: string;
  /** Assign an item to a user of an account (User.items). */
  assign(accountId: string, userId: string, itemId: string): void;
  stop(): Promise<void>;
}

const seed = (): Item[] => [
  { id: 'item-1', name: 'Widget', quantity: 12, supplier: 'Acme Supplies', unitCost: 2.5, reorderLevel: 5 },
  { id: 'item-2', name: 'Gadget', quantity: 3, supplier: 'Gizmo Works', unitCost: 19.9, reorderLevel: 2 },
];

export async function startInventory(opts: InventoryOptions, port = 0): Promise<InventoryServer> {
  const items = new Map(seed().map((i) => [i.id, i]));
  const assignments: Array<{ accountId: string; userId: string; itemId: string }> = [];

  const resolvers = {
    Query: {
      catalog: () => [...items.values()],
      inventoryViewer: (_: unknown, __: unknown, ctx: InventoryContext) => ctx.identity,
    },
    Item: { __resolveReference: (ref: { id: string }) => items.get(ref.id) ?? null },
    User: {
      __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
      items: (user: { id: string }, _: unknown, ctx: InventoryContext) => {
        if (!ctx.identity) return [];
        const acc = ctx.identity.accountId;
        return assignments.filter((a) => a.accountId === acc && a.userId === user.id).map((a) => items.get(a.itemId)!);
      },
    },
    Mutation: {
      adjustStock: (_: unknown, args: { itemId: string; delta: number }, ctx: InventoryContext) => {
        if (!ctx.identity?.scopes.includes('write')) throw new GraphQLError('Needs the write scope', { extensions: { code: 'FORBIDDEN' } });
        const item = items.get(args.itemId);
        if (!item) throw new GraphQLError('Item not found', { extensions: { code: 'NOT_FOUND' } });
        item.quantity += args.delta;
        return item;
      },
      setReorderLevel: (_: unknown, args: { itemId: string; level: number }, ctx: InventoryContext) => {
        if (!ctx.identity?.scopes.includes('inventory:write')) {
          throw new GraphQLError('Needs the inventory:write scope', { extensions: { code: 'FORBIDDEN' } });
        }
        const item = items.get(args.itemId);
        if (!item) throw new GraphQLError('Item not found', { extensions: { code: 'NOT_FOUND' } });
        item.reorderLevel = args.level;
        return item;
      },
    },
  };

  const app = express();
  const httpServer = http.createServer(app);
  const apollo = new ApolloServer<InventoryContext>({
    schema: buildSubgraphSchema([{ typeDefs: gql(INVENTORY_SDL), resolvers: resolvers as never }]),
    introspection: false,
    includeStacktraceInErrorResponses: false,
    // Resolver timings (ftv1) are for Apollo's router and GraphOS; the Hive gateway does not ask for them.
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  await apollo.start();
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use(
    '/graphql',
    express.json(),
    expressMiddleware(apollo, {
      // The subgraph-kit context: refuse non-gateway calls, take the identity from the signed JWT.
      context: async ({ req }) => {
        opts.onRequest?.(req.headers);
        try {
          const identity = await verifyGatewayIdentity(req.headers, {
            jwksUrl: opts.jwksUrl,
            audience: opts.name ?? 'inventory',
            gatewaySecret: opts.gatewaySecret,
            requireGateway: true,
          });
          return { identity };
        } catch (err) {
          if (err instanceof GatewayIdentityError) {
            throw new GraphQLError(err.message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
          }
          throw err;
        }
      },
    }),
  );
  await new Promise<void>((resolve) => httpServer.listen(port, resolve));
  const address = httpServer.address() as AddressInfo;
  return {
    url: `http://localhost:${address.port}/graphql`,
    assign(accountId, userId, itemId) {
      assignments.push({ accountId, userId, itemId });
    },
    async stop() {
      await apollo.stop();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}
