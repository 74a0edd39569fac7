import { EntityManager } from 'typeorm';
import { PublicUser, selectPublicUser } from '../user/user.lookup';
import { Session } from './session.entity';

/** A session as verification reads it: whether it ended, and its user's public properties. */
export interface SessionWithUser {
  revokedAt: Date | null;
  user: PublicUser;
}

/** The session with this id belonging to this user (one indexed query joining the user); null when none. */
export async function findSessionWithUser(em: EntityManager, sessionId: string, userId: string): Promise<SessionWithUser | null> {
  const session = await selectPublicUser(em.getRepository(Session).createQueryBuilder('s').select(['s.id', 's.revokedAt']).innerJoin('s.userRef', 'u'), 'u')
    .where('s.id = :sessionId AND s.userId = :userId', { sessionId, userId })
    .getOne();
  if (!session?.userRef) return null;
  return { revokedAt: session.revokedAt ?? null, user: session.userRef };
}
