import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { DateTimeColumn } from '../../db/columns';

/**
 * A failure counter for brute-force throttling, shared by every replica
 * because it lives in the database. `key` names what is counted, e.g.
 * `login:email:<sha256>` or `token:ip:<address>`; no e-mail or secret is stored.
 */
@Entity('throttle')
export class Throttle {
  @PrimaryColumn({ type: 'varchar', length: 120 })
  key!: string;

  @Column({ type: 'int', default: 0 })
  failures!: number;

  @Index('idx_throttle_window_start')
  @DateTimeColumn()
  windowStart!: Date;

  @DateTimeColumn({ nullable: true })
  lockedUntil!: Date | null;
}
