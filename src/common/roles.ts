import { registerEnumType } from 'type-graphql';

/** Ordered: OWNER > ADMIN > MEMBER > READ_ONLY. */
export enum Role {
  OWNER = 'OWNER',
  ADMIN = 'ADMIN',
  MEMBER = 'MEMBER',
  READ_ONLY = 'READ_ONLY',
}
registerEnumType(Role, { name: 'Role', description: 'Ordered: OWNER > ADMIN > MEMBER > READ_ONLY' });

const RANK: Record<Role, number> = { READ_ONLY: 0, MEMBER: 1, ADMIN: 2, OWNER: 3 };

export const roleRank = (role: Role): number => RANK[role];
export const roleAtLeast = (role: Role, floor: Role): boolean => RANK[role] >= RANK[floor];
export const minRole = (a: Role, b: Role): Role => (RANK[a] <= RANK[b] ? a : b);
export const isAdminRole = (role: Role): boolean => roleAtLeast(role, Role.ADMIN);
export const isRole = (value: unknown): value is Role => typeof value === 'string' && value in RANK;
