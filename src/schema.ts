import 'reflect-metadata';
import { GraphQLSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { applyMiddleware } from 'graphql-middleware';
import { buildSchemaSync } from 'type-graphql';
import { createPermissions } from './authz/permissions';
import { AccountResolver } from './modules/account/account.resolver';
import { ApiTokenFieldResolver } from './modules/api-token/api-token.field-resolver';
import { ApiTokenResolver } from './modules/api-token/api-token.resolver';
import { SessionResolver } from './modules/session/session.resolver';
import { UserResolver } from './modules/user/user.resolver';
import { AuditResolver } from './modules/audit/audit.resolver';
import { NotificationResolver } from './modules/notification/notification.resolver';
import { ApiTokenUsageFieldResolver } from './modules/usage/usage.resolver';
import { WebhookDeliveryFieldResolver, WebhookResolver } from './modules/webhook/webhook.resolver';

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
] as const;

let cached: GraphQLSchema | undefined;

/** The schema as type-graphql builds it, without authorization: what `npm run schema` prints. */
export function buildBaseSchema(): GraphQLSchema {
  cached ??= buildSchemaSync({
    resolvers: [...RESOLVERS],
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    validate: false,
  });
  return cached;
}

/** The executable schema: the base schema behind the graphql-shield permission map. */
export function buildSchema(): GraphQLSchema {
  return applyMiddleware(buildBaseSchema(), createPermissions());
}
