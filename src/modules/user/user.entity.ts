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

/** A person signs in; a service account never does: it acts only through the API tokens issued for it. */
export enum UserKind {
  PERSON = 'PERSON',
  SERVICE = 'SERVICE',
}
registerEnumType(UserKind, { name: 'UserKind', description: 'PERSON: signs in with e-mail and password. SERVICE: a service account, no password, never signs in; acts through its tokens.' });

@Entity('user')
@Directive('@key(fields: "id")')
@ObjectType({ description: 'A person who signs in to an account, or a service account (kind SERVICE) that acts through its API tokens' })
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

  /**
   * Stored lower-cased; unique across the service because login takes only an e-mail. Null only for a
   * service account created without one (the GraphQL field then answers "": UserResolver.email).
   */
  @Index('uq_user_email', { unique: true })
  @Column({ type: 'varchar', length: 254, nullable: true })
  email!: string | null;

  @Column({ type: 'varchar', length: 16, default: UserKind.PERSON })
  @Field(() => UserKind, { description: 'PERSON, or SERVICE for a service account' })
  kind!: UserKind;

  @Column({ type: 'varchar', length: 100 })
  @Field()
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  @Field(() => Role)
  role!: Role;

  @Column({ type: 'varchar', length: 16, default: UserStatus.ACTIVE })
  @Field(() => UserStatus)
  status!: UserStatus;

  /** bcrypt hash; never exposed. A service account's is SERVICE_ACCOUNT_PASSWORD_HASH, which no password matches. */
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

/** What a service account stores as its password hash: not a bcrypt hash, so no password can ever match it. */
export const SERVICE_ACCOUNT_PASSWORD_HASH = '!service-account';
