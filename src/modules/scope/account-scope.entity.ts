import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { CreatedAtColumn, IdColumn, RefColumn, Timestamped, UpdatedAtColumn } from '../../db/columns';
import { Role } from '../../common/roles';
import { Account } from '../account/account.entity';

/**
 * A custom scope of one account's catalog (e.g. inventory:write). Tokens may
 * carry catalog scopes; the gateway enforces them with @requiresScopes like the
 * role scopes. `minRole` is the lowest role allowed to exercise it.
 */
@Entity('account_scope')
@Index('uq_account_scope_account_name', ['accountId', 'name'], { unique: true })
@ObjectType({ description: "A custom scope of the account's catalog, which tokens may carry" })
export class AccountScope extends Timestamped {
  @IdColumn()
  @Field(() => ID)
  id!: string;

  @RefColumn()
  accountId!: string;

  @ManyToOne(() => Account, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'accountId' })
  accountRef?: Account;

  @Column({ type: 'varchar', length: 64 })
  @Field({ description: 'e.g. inventory:write' })
  name!: string;

  @Column({ type: 'varchar', length: 1000, nullable: true })
  @Field(() => String, { nullable: true })
  description!: string | null;

  @Column({ type: 'varchar', length: 16, default: Role.MEMBER })
  @Field(() => Role, { description: 'The lowest role allowed to exercise it: a token carries it only while its owner has at least this role' })
  minRole!: Role;

  @RefColumn({ nullable: true })
  createdById!: string | null;

  @CreatedAtColumn()
  @Field()
  declare createdAt: Date;

  @UpdatedAtColumn()
  declare updatedAt: Date;
}

@InputType()
export class CreateScopeInput {
  @Field({ description: 'Lower-case, e.g. inventory:write: /^[a-z][a-z0-9_-]*(:[a-z0-9_*-]+)*$/, up to 64 characters, unique in the account' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Up to 1000 characters' })
  description?: string | null;

  @Field(() => Role, { nullable: true, defaultValue: Role.MEMBER, description: 'Default MEMBER' })
  minRole?: Role | null;
}
