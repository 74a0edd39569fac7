import { DataSource } from 'typeorm';
import type { Config } from './config';
import type { Logger } from './logger';
import { PasswordHasher } from './auth/passwords';
import { SessionTokens } from './auth/session-tokens';
import { TokenCache } from './auth/token-cache';
import type { KnownSecrets } from './auth/known-secrets';
import { authorityOver } from './verification/authority';
import { AccountService } from './modules/account/account.service';
import { ApiTokenService } from './modules/api-token/api-token.service';
import { AuthService } from './modules/session/auth.service';
import { SessionService } from './modules/session/session.service';
import { UserService } from './modules/user/user.service';
import { EmailConflicts } from './modules/user/email-conflicts';
import { ThrottleService } from './modules/throttle/throttle.service';
import { AuditService } from './modules/audit/audit.service';
import { NotificationService } from './modules/notification/notification.service';
import { UsageService } from './modules/usage/usage.service';
import { WebhookService } from './modules/webhook/webhook.service';
import { ScopeService } from './modules/scope/scope.service';

export interface Services {
  accounts: AccountService;
  users: UserService;
  auth: AuthService;
  sessions: SessionService;
  apiTokens: ApiTokenService;
  audit: AuditService;
  notifications: NotificationService;
  usage: UsageService;
  webhooks: WebhookService;
  scopes: ScopeService;
}

export function createServices(
  dataSource: DataSource,
  config: Pick<
    Config,
    | 'bcryptRounds'
    | 'bcryptConcurrency'
    | 'bcryptQueueLimit'
    | 'leakReportsPerMinute'
    | 'gatewayRateLimitPerToken'
    | 'sessionSigningKey'
    | 'webhookAllowPrivate'
    | 'webhookTimeoutMs'
    | 'webhookMaxAttempts'
    | 'webhookRetryBaseMs'
  >,
  deps: { sessionTokens: SessionTokens; tokenCache: TokenCache; throttle: ThrottleService; knownSecrets?: KnownSecrets; logger?: Logger },
): Services {
  const hasher = new PasswordHasher(config.bcryptRounds, { concurrency: config.bcryptConcurrency, queueLimit: config.bcryptQueueLimit });
  const emailConflicts = new EmailConflicts(dataSource, deps.throttle);
  const withAuthority = authorityOver(dataSource);
  return {
    accounts: new AccountService(dataSource, withAuthority, deps.tokenCache),
    users: new UserService(dataSource, withAuthority, hasher, deps.tokenCache, emailConflicts),
    auth: new AuthService(dataSource, hasher, deps.sessionTokens, deps.throttle, emailConflicts, deps.tokenCache),
    sessions: new SessionService(dataSource, deps.tokenCache),
    apiTokens: new ApiTokenService(dataSource, withAuthority, deps.tokenCache, deps.throttle, config.leakReportsPerMinute, config.gatewayRateLimitPerToken, deps.knownSecrets),
    audit: new AuditService(dataSource),
    notifications: new NotificationService(dataSource),
    usage: new UsageService(dataSource),
    scopes: new ScopeService(dataSource, withAuthority, deps.tokenCache),
    webhooks: new WebhookService(
      dataSource,
      withAuthority,
      {
        allowPrivate: config.webhookAllowPrivate,
        timeoutMs: config.webhookTimeoutMs,
        maxAttempts: config.webhookMaxAttempts,
        retryBaseMs: config.webhookRetryBaseMs,
        signingKey: config.sessionSigningKey,
      },
      deps.logger?.child({ component: 'webhooks' }),
    ),
  };
}
