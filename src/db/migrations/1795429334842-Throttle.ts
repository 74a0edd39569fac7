import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Brute-force throttle counters (login per e-mail and per IP, invalid API
 * tokens and leak reports per IP), in the database so every replica shares them.
 * Written by hand to match src/modules/throttle/throttle.entity.ts; the MySQL
 * test run checks that entities and migrations agree.
 */
export class Throttle1795429334842 implements MigrationInterface {
  name = 'Throttle1795429334842';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE \`throttle\` (\`key\` varchar(120) NOT NULL, \`failures\` int NOT NULL DEFAULT '0', \`windowStart\` datetime(3) NOT NULL, \`lockedUntil\` datetime(3) NULL, INDEX \`idx_throttle_window_start\` (\`windowStart\`), PRIMARY KEY (\`key\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX \`idx_throttle_window_start\` ON \`throttle\``);
    await queryRunner.query(`DROP TABLE \`throttle\``);
  }
}
