import { GraphQLFieldResolver, GraphQLSchema, isUnionType } from 'graphql';
import type { Context } from '../context';
import { badInput } from '../errors';
import type { Account } from '../modules/account/account.entity';
import type { ApiToken } from '../modules/api-token/api-token.entity';
import type { User } from '../modules/user/user.entity';

type Ref = { id?: unknown };
const idOf = (ref: Ref): string | null => (typeof ref?.id === 'string' ? ref.id : null);

/**
 * Entity reference resolvers for `_entities`. They apply exactly the
 * visibility of the root queries (each module's *.visibility.ts), batched
 * through the request's loaders, so
 * federation can never reach what `me`, `users`, `account` and `apiToken`
 * would not show: a foreign or invisible id resolves to null.
 */
export const referenceResolvers = {
  User: {
    async __resolveReference(ref: Ref, ctx: Context): Promise<User | null> {
      const id = idOf(ref);
      if (!id || !ctx.principal) return null;
      return ctx.loaders.visibleUser.load(id);
    },
  },
  Account: {
    async __resolveReference(ref: Ref, ctx: Context): Promise<Account | null> {
      const id = idOf(ref);
      if (!id || !ctx.principal || id !== ctx.principal.accountId) return null;
      return ctx.loaders.account.load(id);
    },
  },
  ApiToken: {
    async __resolveReference(ref: Ref, ctx: Context): Promise<ApiToken | null> {
      const id = idOf(ref);
      if (!id || !ctx.principal) return null;
      return ctx.loaders.apiToken.load(id);
    },
  },
};

/**
 * `_entities` answers every representation through @apollo/subgraph's
 * resolver, which throws a plain Error for a `__typename` it can not load (none,
 * unknown, or an object type that is no entity, such as `Webhook`): an
 * INTERNAL_SERVER_ERROR logged with a stack on every such request. Each
 * representation is checked first and refused as BAD_USER_INPUT naming its
 * position; the message repeats a `__typename` only when it is a type of this
 * schema, never arbitrary input. Anonymous callers are still refused first
 * (the permission map runs before this resolver).
 */
export function guardEntities(schema: GraphQLSchema): void {
  const field = schema.getQueryType()?.getFields()._entities;
  const union = schema.getType('_Entity');
  if (!field?.resolve || !isUnionType(union)) return;
  const entities = new Set(union.getTypes().map((t) => t.name));
  const list = [...entities].sort().join(', ');
  const original: GraphQLFieldResolver<unknown, unknown> = field.resolve;
  field.resolve = (source, args: { representations?: unknown }, ctx, info) => {
    const representations = Array.isArray(args.representations) ? args.representations : [];
    representations.forEach((rep: unknown, i) => {
      const at = `representations[${i}]`;
      if (rep === null || typeof rep !== 'object' || Array.isArray(rep)) throw badInput(at, `must be an object with __typename (one of ${list}) and id`);
      const typename = (rep as { __typename?: unknown }).__typename;
      if (typeof typename !== 'string' || typename === '') throw badInput(`${at}.__typename`, `is required: one of ${list}`);
      if (!entities.has(typename)) {
        const what = Object.prototype.hasOwnProperty.call(schema.getTypeMap(), typename) ? `"${typename}" is not an entity type` : 'names no type';
        throw badInput(`${at}.__typename`, `${what} of this subgraph; entities are ${list}`);
      }
    });
    return original(source, args, ctx, info);
  };
}
