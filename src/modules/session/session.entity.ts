import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { CreatedAtColumn, DateTimeColumn, IdColumn, RefColumn, Timestamped } from '../../db/columns';
import { User } from '../user/user.entity';

/**
 * A login. Its refresh tokens form one rotation family: reusing a rotated
 * refresh token revokes the whole session, and access tokens of a revoked
 * session stop authenticating at once (every request checks the session row).
 */
@Entity('session')
export class Session extends Timestamped {
  @IdColumn()
  id!: string;

  @Index('idx_session_user')
  @RefColumn()
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'userId' })
  userRef?: User;

  @RefColumn()
  accountId!: string;

  @DateTimeColumn({ nullable: true })
  revokedAt!: Date | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  revokedReason!: string | null;

  @CreatedAtColumn()
  declare createdAt: Date;
}

@Entity('refresh_token')
export class RefreshToken extends Timestamped {
  @IdColumn()
  id!: string;

  @Index('idx_refresh_token_session')
  @RefColumn()
  sessionId!: string;

  @ManyToOne(() => Session, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'sessionId' })
  sessionRef?: Session;

  /** SHA-256 of the refresh token; the token itself is never stored. */
  @Index('uq_refresh_token_hash', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  tokenHash!: string;

  @DateTimeColumn()
  expiresAt!: Date;

  /** Set when this token was exchanged; a second use means it leaked. */
  @DateTimeColumn({ nullable: true })
  usedAt!: Date | null;

  @CreatedAtColumn()
  declare createdAt: Date;
}
