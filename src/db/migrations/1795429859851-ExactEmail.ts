import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * E-mail addresses are stored lower-cased and compared exactly. With
 * utf8mb4_unicode_ci, MySQL treated jürgen@… and jurgen@… (or straße/strasse)
 * as one address: a look-alike could not register, and login had to re-check.
 * A binary collation makes the unique index exact, as it is on SQLite.
 */
export class ExactEmail1795429859851 implements MigrationInterface {
  name = 'ExactEmail1795429859851';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`user\` MODIFY \`email\` varchar(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`user\` MODIFY \`email\` varchar(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL`);
  }
}
