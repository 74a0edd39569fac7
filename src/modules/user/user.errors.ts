import { QueryFailedError } from 'typeorm';
import { conflict } from '../../errors';

export const EMAIL_TAKEN = 'A user with this e-mail address already exists';

/**
 * True when a write failed on the unique index of user e-mail addresses. The
 * existence check before an insert can not see a concurrent transaction's
 * uncommitted user (MySQL/MariaDB), so the index is the final word and its
 * violation must read as CONFLICT, not as an internal error.
 */
export function isDuplicateEmail(err: unknown): boolean {
  if (!(err instanceof QueryFailedError)) return false;
  const driver = err.driverError as { code?: string; errno?: number; message?: string } | undefined;
  const message = String(driver?.message ?? err.message);
  if (driver?.code === 'ER_DUP_ENTRY' || driver?.errno === 1062) return message.includes('uq_user_email');
  if (typeof driver?.code === 'string' && driver.code.startsWith('SQLITE_CONSTRAINT')) return message.includes('user.email');
  return false;
}

/** Run a write that inserts a user; a lost race for the e-mail address becomes CONFLICT. */
export async function withUniqueEmail<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isDuplicateEmail(err)) throw conflict(EMAIL_TAKEN);
    throw err;
  }
}
