import { Account } from '../modules/account/account.entity';
import { ApiToken } from '../modules/api-token/api-token.entity';
import { RefreshToken, Session } from '../modules/session/session.entity';
import { Throttle } from '../modules/throttle/throttle.entity';
import { User } from '../modules/user/user.entity';

export const ENTITIES = [Account, User, Session, RefreshToken, ApiToken, Throttle];
