import type { SelectQueryBuilder } from 'typeorm';
import type { User } from './user.entity';

/** The user's public properties: what is read with a credential (never the password hash). */
export const PUBLIC_USER_FIELDS = ['id', 'accountId', 'email', 'kind', 'name', 'role', 'status', 'deactivatedAt', 'createdAt', 'updatedAt'] as const satisfies ReadonlyArray<keyof User>;

/** A user read through this selection has exactly these properties set. */
export type PublicUser = Pick<User, (typeof PUBLIC_USER_FIELDS)[number]>;

/** Add the public properties of the user joined as `alias` to a query's selection. */
export function selectPublicUser<T extends object>(qb: SelectQueryBuilder<T>, alias: string): SelectQueryBuilder<T> {
  return qb.addSelect(PUBLIC_USER_FIELDS.map((f) => `${alias}.${f}`));
}
