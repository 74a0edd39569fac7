import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { CreatedAtColumn, DateTimeColumn, IdColumn, RefColumn, UpdatedAtColumn, Timestamped } from '../../db/columns';
import { Role } from '../../common/roles';
import { Account } from '../account/account.entity';

export enum UserStatus {
  ACTIVE = 'ACTIVE',
  DEACTIVATED = 'DEACTIVATED',
}
registerEnumType(UserStatus, { name: 'UserStatus' });

@Entity('user')
@Directive('@key(fields: "id")')
@ObjectType({ description: 'A person who signs in to an account' })
export class User extends Timestamped {
  @IdColumn()
  @Field(() => ID)
  id!: string;

  @Index('idx_user_account')
  @RefColumn()
  accountId!: string;

  @ManyToOne(() => Account, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'accountId' })
  accountRef?: Account;

  /** Stored lower-cased; unique across the service because login takes only an e-mail. */
  @Index('uq_user_email', { unique: true })
  @Column({ type: 'varchar', length: 254 })
  @Field()
  email!: string;

  @Column({ type: 'varchar', length: 100 })
  @Field()
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  @Field(() => Role)
  role!: Role;

  @Column({ type: 'varchar', length: 16, default: UserStatus.ACTIVE })
  @Field(() => UserStatus)
  status!: UserStatus;

  /** bcrypt hash; never exposed. */
  @Column({ type: 'varchar', length: 72 })
  passwordHash!: string;

  @DateTimeColumn({ nullable: true })
  @Field(() => Date, { nullable: true })
  deactivatedAt!: Date | null;

  @CreatedAtColumn()
  @Field()
  declare createdAt: Date;

  @UpdatedAtColumn()
  declare updatedAt: Date;
}
