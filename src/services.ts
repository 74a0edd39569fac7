import { DataSource } from 'typeorm';
import type { Config } from './config';
import { PasswordHasher } from './auth/passwords';
import { SessionTokens } from './auth/session-tokens';
import { TokenCache } from './auth/token-cache';
import { AccountService } from './modules/account/account.service';
import { ApiTokenService } from './modules/api-token/api-token.service';
import { AuthService } from './modules/session/auth.service';
import { UserService } from './modules/user/user.service';

export interface Services {
  accounts: AccountService;
  users: UserService;
  auth: AuthService;
  apiTokens: ApiTokenService;
}

export function createServices(
  dataSource: DataSource,
  config: Pick<Config, 'bcryptRounds' | 'leakReportsPerMinute'>,
  deps: { sessionTokens: SessionTokens; tokenCache: TokenCache },
): Services {
  const hasher = new PasswordHasher(config.bcryptRounds);
  return {
    accounts: new AccountService(dataSource),
    users: new UserService(dataSource, hasher, deps.tokenCache),
    auth: new AuthService(dataSource, hasher, deps.sessionTokens),
    apiTokens: new ApiTokenService(dataSource, deps.tokenCache, config.leakReportsPerMinute),
  };
}
