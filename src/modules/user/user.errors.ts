import { QueryFailedError } from 'typeorm';

/**
 * The one answer to "this address is taken", the same for signUp and
 * createUser, for a user of the caller's account and of any other. The
 * refusal itself can not be avoided (addresses are unique across accounts, as
 * login takes no account), but it names no user and no account.
 */
export const EMAIL_UNAVAILABLE = 'This e-mail address can not be used for a new user; use another address';

/** Thrown inside a user-creating transaction when the address is taken; answered outside it (see EmailConflicts). */
export class EmailTaken extends Error {
  constructor() {
    super('e-mail address taken');
    this.name = 'EmailTaken';
  }
}

/**
 * True when a write failed on the unique index of user e-mail addresses. The
 * existence check before an insert can not see a concurrent transaction's
 * uncommitted user (MySQL/MariaDB), so the index is the final word and its
 * violation must read as a taken address, not as an internal error.
 */
export function isDuplicateEmail(err: unknown): boolean {
  if (!(err instanceof QueryFailedError)) return false;
  const driver = err.driverError as { code?: string; errno?: number; message?: string } | undefined;
  const message = String(driver?.message ?? err.message);
  if (driver?.code === 'ER_DUP_ENTRY' || driver?.errno === 1062) return message.includes('uq_user_email');
  if (typeof driver?.code === 'string' && driver.code.startsWith('SQLITE_CONSTRAINT')) return message.includes('user.email');
  return false;
}

/**
 * Run a write that inserts a user. A taken address, found by the write's own
 * check or by the unique index (a lost race), is handed to `onTaken` after the
 * write's transaction has rolled back.
 */
export async function withUniqueEmail<T>(write: () => Promise<T>, onTaken: () => Promise<never>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (err instanceof EmailTaken || isDuplicateEmail(err)) return onTaken();
    throw err;
  }
}
