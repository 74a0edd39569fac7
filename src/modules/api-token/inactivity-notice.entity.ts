import { Entity, Index } from 'typeorm';
import { CreatedAtColumn, DateTimeColumn, IdColumn, RefColumn, Timestamped, UpdatedAtColumn } from '../../db/columns';

/**
 * The warning the inactivity clean-up gave about one token for one period of disuse. Its unique key
 * (token, last activity) is the idempotency guard: two passes (or replicas) racing to warn cannot
 * both insert it, and a token used since the warning has a new last activity, so the old warning no
 * longer licenses a revocation.
 */
@Entity('token_inactivity_notice')
@Index('uq_token_inactivity_notice_key', ['tokenId', 'lastActivityAt'], { unique: true })
export class TokenInactivityNotice extends Timestamped {
  @IdColumn()
  id!: string;

  @RefColumn()
  accountId!: string;

  @RefColumn()
  tokenId!: string;

  /** The token's last use (or its creation when never used) that the warning was about. */
  @DateTimeColumn()
  lastActivityAt!: Date;

  /** When the clean-up may revoke it: the end of the allowed disuse, and never sooner than 7 days after the warning. */
  @DateTimeColumn()
  revokeAt!: Date;

  @CreatedAtColumn()
  declare createdAt: Date;

  @UpdatedAtColumn()
  declare updatedAt: Date;
}
