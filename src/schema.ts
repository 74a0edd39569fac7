import 'reflect-metadata';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { GraphQLSchema, isObjectType } from 'graphql';
import { allow } from 'graphql-shield';
import { DateTimeResolver } from 'graphql-scalars';
import { applyMiddleware } from 'graphql-middleware';
import gql from 'graphql-tag';
import { buildSchemaSync, createResolversMap } from 'type-graphql';
import { createPermissions, PERMISSIONS, RULES } from './authz/permissions';
import { guardEntities, referenceResolvers } from './federation/reference-resolvers';
import { AccountResolver } from './modules/account/account.resolver';
import { ApiTokenFieldResolver } from './modules/api-token/api-token.field-resolver';
import { ApiTokenResolver } from './modules/api-token/api-token.resolver';
import { SessionResolver } from './modules/session/session.resolver';
import { UserResolver } from './modules/user/user.resolver';
import { AuditResolver } from './modules/audit/audit.resolver';
import { NotificationResolver } from './modules/notification/notification.resolver';
import { ApiTokenUsageFieldResolver } from './modules/usage/usage.resolver';
import { WebhookDeliveryFieldResolver, WebhookResolver } from './modules/webhook/webhook.resolver';
import { ScopeResolver } from './modules/scope/scope.resolver';

export const RESOLVERS = [
  AccountResolver,
  UserResolver,
  SessionResolver,
  ApiTokenResolver,
  ApiTokenFieldResolver,
  ApiTokenUsageFieldResolver,
  NotificationResolver,
  WebhookResolver,
  WebhookDeliveryFieldResolver,
  AuditResolver,
  ScopeResolver,
] as const;

/** Federation v2 link: every directive the subgraph uses is imported (@key on entities, @shareable on PageInfo). */
export const FEDERATION_LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@shareable"])';

let base: GraphQLSchema | undefined;
let subgraph: GraphQLSchema | undefined;

/** The client API as type-graphql builds it: what schema/schema.graphql shows. */
export function buildBaseSchema(): GraphQLSchema {
  base ??= buildSchemaSync({
    resolvers: [...RESOLVERS],
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    validate: false,
  });
  return base;
}

/**
 * The served schema: the same API as an Apollo Federation v2 subgraph, with
 * `User`, `Account` and `ApiToken` as entities (`@key(fields: "id")`) and
 * `_service` / `_entities`. Standalone clients see the same operations.
 */
export function buildSubgraph(): GraphQLSchema {
  if (subgraph) return subgraph;
  const schema = buildBaseSchema();
  const resolvers = createResolversMap(schema) as Record<string, Record<string, unknown>>;
  for (const [type, extra] of Object.entries(referenceResolvers)) resolvers[type] = { ...resolvers[type], ...extra };
  subgraph = buildSubgraphSchema([
    {
      typeDefs: gql`
        ${FEDERATION_LINK}
        ${printSchemaWithDirectives(schema)}
      `,
      resolvers: resolvers as never,
    },
  ]);
  guardEntities(subgraph);
  return subgraph;
}

/**
 * The executable schema: the subgraph behind the graphql-shield permission map.
 * Fields whose rule is `allow` get their own resolver back: shield's wrapper
 * would only await a rule that always passes (an async hop per field) and hand
 * resolver errors through unchanged (allowExternalErrors), so the answer is the
 * same either way.
 */
export function buildSchema(): GraphQLSchema {
  const plain = buildSubgraph();
  const shielded = applyMiddleware(plain, createPermissions());
  for (const [typeName, fields] of Object.entries(PERMISSIONS)) {
    for (const [fieldName, rule] of Object.entries(fields)) {
      if (RULES[rule] !== allow || fieldName === '*') continue;
      const type = shielded.getType(typeName);
      const original = plain.getType(typeName);
      if (!isObjectType(type) || !isObjectType(original)) continue;
      const field = type.getFields()[fieldName];
      if (field) field.resolve = original.getFields()[fieldName]?.resolve;
    }
  }
  return shielded;
}
