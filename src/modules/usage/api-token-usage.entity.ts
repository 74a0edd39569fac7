import { Column, Entity, Index } from 'typeorm';
import { CreatedAtColumn, IdColumn, RefColumn, Timestamped, UpdatedAtColumn } from '../../db/columns';

/**
 * Requests per token, UTC day and client IP (with the token's environment),
 * upserted by the coalesced usage writer: one row per (token, day, ip).
 * ip is '' when the client address was unknown (a unique key treats NULLs as distinct).
 */
@Entity('api_token_usage')
@Index('uq_api_token_usage_key', ['tokenId', 'day', 'ip'], { unique: true })
@Index('idx_api_token_usage_day', ['day'])
export class ApiTokenUsage extends Timestamped {
  @IdColumn()
  id!: string;

  @RefColumn()
  tokenId!: string;

  @RefColumn()
  accountId!: string;

  /** YYYY-MM-DD, UTC. */
  @Column({ type: 'varchar', length: 10 })
  day!: string;

  @Column({ type: 'varchar', length: 64, nullable: true })
  environment!: string | null;

  @Column({ type: 'varchar', length: 45 })
  ip!: string;

  @Column({ type: 'int', default: 0 })
  requests!: number;

  @CreatedAtColumn()
  declare createdAt: Date;

  @UpdatedAtColumn()
  declare updatedAt: Date;
}
