import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for data at scale (found by test/integration/query-plans.mysql.test.ts,
 * measured by bench/scale.mjs): every listing filter pages by (accountId, …, id)
 * without a sort, ACTIVE-token counts come from an index, finished webhook
 * deliveries are pruned by range, and api_token.nextNoticeAt lets a scheduler
 * pass read only the tokens whose expiry notice is due (the old expiresAt
 * index served a scan of every token expiring within a year).
 */
export class ScaleIndexes1795450000000 implements MigrationInterface {
  name = 'ScaleIndexes1795450000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`api_token\` ADD \`nextNoticeAt\` datetime(3) NULL`);
    await queryRunner.query(`DROP INDEX \`idx_api_token_expires_at\` ON \`api_token\``);
    await queryRunner.query(`CREATE INDEX \`idx_api_token_account\` ON \`api_token\` (\`accountId\`)`);
    await queryRunner.query(`CREATE INDEX \`idx_api_token_account_role\` ON \`api_token\` (\`accountId\`, \`role\`)`);
    await queryRunner.query(`CREATE INDEX \`idx_api_token_account_environment\` ON \`api_token\` (\`accountId\`, \`environment\`)`);
    await queryRunner.query(`CREATE INDEX \`idx_api_token_account_expiry\` ON \`api_token\` (\`accountId\`, \`storedStatus\`, \`expiresAt\`)`);
    await queryRunner.query(`CREATE INDEX \`idx_api_token_next_notice\` ON \`api_token\` (\`nextNoticeAt\`)`);
    await queryRunner.query(`CREATE INDEX \`idx_webhook_delivery_finished\` ON \`webhook_delivery\` (\`status\`, \`updatedAt\`)`);
    // Pending series: from the account's largest threshold (expiryNotificationDays is kept sorted, largest first).
    // Crossings already passed make nextNoticeAt past: the first pass looks at those tokens once, and sends
    // nothing that was already sent.
    await queryRunner.query(
      `UPDATE \`api_token\` t JOIN \`account\` a ON a.\`id\` = t.\`accountId\`
       SET t.\`nextNoticeAt\` = DATE_SUB(t.\`expiresAt\`, INTERVAL CAST(SUBSTRING_INDEX(a.\`expiryNotificationDays\`, ',', 1) AS UNSIGNED) DAY)
       WHERE t.\`storedStatus\` = 'ACTIVE' AND t.\`expiresAt\` IS NOT NULL AND a.\`expiryNotificationDays\` <> ''
         AND t.\`expiresAt\` > DATE_SUB(UTC_TIMESTAMP(3), INTERVAL 7 DAY)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX \`idx_webhook_delivery_finished\` ON \`webhook_delivery\``);
    await queryRunner.query(`DROP INDEX \`idx_api_token_next_notice\` ON \`api_token\``);
    await queryRunner.query(`DROP INDEX \`idx_api_token_account_expiry\` ON \`api_token\``);
    await queryRunner.query(`DROP INDEX \`idx_api_token_account_environment\` ON \`api_token\``);
    await queryRunner.query(`DROP INDEX \`idx_api_token_account_role\` ON \`api_token\``);
    await queryRunner.query(`DROP INDEX \`idx_api_token_account\` ON \`api_token\``);
    await queryRunner.query(`CREATE INDEX \`idx_api_token_expires_at\` ON \`api_token\` (\`expiresAt\`)`);
    await queryRunner.query(`ALTER TABLE \`api_token\` DROP COLUMN \`nextNoticeAt\``);
  }
}
