import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Token lifecycle (#16 items 1, 3, 7): disabled tokens (api_token.disabledAt/disabledById; the status
 * itself is a new value of storedStatus), notices to a token's owner about what someone else did
 * (notification.actor…, and the notification key gains the kind so an action and an expiry notice at
 * the same instant cannot collide), and the inactivity clean-up (account.revokeUnusedAfterDays, its
 * warnings in token_inactivity_notice, and an index of last use within a status).
 */
export class TokenLifecycle1796142600703 implements MigrationInterface {
  name = 'TokenLifecycle1796142600703';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`api_token\` ADD \`disabledAt\` datetime(3) NULL`);
    await queryRunner.query(`ALTER TABLE \`api_token\` ADD \`disabledById\` varchar(36) NULL`);
    await queryRunner.query(`CREATE INDEX \`idx_api_token_account_last_used\` ON \`api_token\` (\`accountId\`, \`storedStatus\`, \`lastUsedAt\`)`);
    await queryRunner.query(`ALTER TABLE \`account\` ADD \`revokeUnusedAfterDays\` int NULL`);
    await queryRunner.query(`CREATE INDEX \`idx_account_revoke_unused\` ON \`account\` (\`revokeUnusedAfterDays\`)`);
    await queryRunner.query(`ALTER TABLE \`notification\` ADD \`actorId\` varchar(36) NULL`);
    await queryRunner.query(`ALTER TABLE \`notification\` ADD \`actor\` varchar(400) NULL`);
    await queryRunner.query(`ALTER TABLE \`notification\` ADD \`actedAt\` datetime(3) NULL`);
    await queryRunner.query(`ALTER TABLE \`notification\` ADD \`reason\` varchar(200) NULL`);
    // The wider key first, so the table is never without one.
    await queryRunner.query(`CREATE UNIQUE INDEX \`uq_notification_kind_key\` ON \`notification\` (\`userId\`, \`tokenId\`, \`kind\`, \`tokenExpiresAt\`, \`thresholdDays\`)`);
    await queryRunner.query(`DROP INDEX \`uq_notification_key\` ON \`notification\``);
    await queryRunner.query(
      `CREATE TABLE \`token_inactivity_notice\` (\`id\` varchar(36) NOT NULL, \`accountId\` varchar(36) NOT NULL, \`tokenId\` varchar(36) NOT NULL, \`lastActivityAt\` datetime(3) NOT NULL, \`revokeAt\` datetime(3) NOT NULL, \`createdAt\` datetime(3) NOT NULL, \`updatedAt\` datetime(3) NOT NULL, UNIQUE INDEX \`uq_token_inactivity_notice_key\` (\`tokenId\`, \`lastActivityAt\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE \`token_inactivity_notice\``);
    // Only expiry notices fit the old key; disabled tokens go back to being revoked (the old code knows no pause).
    await queryRunner.query(`DELETE FROM \`notification\` WHERE \`kind\` NOT IN ('TOKEN_EXPIRING', 'TOKEN_EXPIRED')`);
    await queryRunner.query(`CREATE UNIQUE INDEX \`uq_notification_key\` ON \`notification\` (\`userId\`, \`tokenId\`, \`tokenExpiresAt\`, \`thresholdDays\`)`);
    await queryRunner.query(`DROP INDEX \`uq_notification_kind_key\` ON \`notification\``);
    await queryRunner.query(`ALTER TABLE \`notification\` DROP COLUMN \`reason\``);
    await queryRunner.query(`ALTER TABLE \`notification\` DROP COLUMN \`actedAt\``);
    await queryRunner.query(`ALTER TABLE \`notification\` DROP COLUMN \`actor\``);
    await queryRunner.query(`ALTER TABLE \`notification\` DROP COLUMN \`actorId\``);
    await queryRunner.query(`DROP INDEX \`idx_account_revoke_unused\` ON \`account\``);
    await queryRunner.query(`ALTER TABLE \`account\` DROP COLUMN \`revokeUnusedAfterDays\``);
    await queryRunner.query(`DROP INDEX \`idx_api_token_account_last_used\` ON \`api_token\``);
    await queryRunner.query(`UPDATE \`api_token\` SET \`storedStatus\` = 'REVOKED', \`revokedAt\` = \`disabledAt\`, \`revokedById\` = \`disabledById\` WHERE \`storedStatus\` = 'DISABLED'`);
    await queryRunner.query(`ALTER TABLE \`api_token\` DROP COLUMN \`disabledById\``);
    await queryRunner.query(`ALTER TABLE \`api_token\` DROP COLUMN \`disabledAt\``);
  }
}
