import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ApiToken } from './api-token.entity';

/**
 * The text-search index of token names and descriptions: one row per distinct trigram (three folded
 * characters, search/trigrams.ts) of a token's name or description. The primary key serves the search,
 * "the tokens of this account with this trigram, newest first" (tokenIds are UUIDv7, so id order is
 * creation order), from the index alone. Written in the same transaction as the token's name and
 * description; a hard-deleted token's rows go with it (ON DELETE CASCADE).
 */
@Entity('api_token_trigram')
@Index('idx_api_token_trigram_token', ['tokenId'])
export class ApiTokenTrigram {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  accountId!: string;

  /** Three folded code points, 17 bits each (search/trigrams.ts): an integer, so no collation applies to it. */
  @PrimaryColumn({ type: 'bigint' })
  trigram!: number;

  @PrimaryColumn({ type: 'varchar', length: 36 })
  tokenId!: string;

  @ManyToOne(() => ApiToken, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tokenId' })
  tokenRef?: ApiToken;
}
