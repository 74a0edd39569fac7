import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Issue #16 item 6: service accounts. `user.kind` tells people (PERSON) from service accounts (SERVICE);
 * a service account's e-mail address is optional, so the column becomes nullable (the unique index keeps
 * any number of NULLs apart; the exact, binary collation of ExactEmail stays).
 */
export class ServiceAccounts1796143800000 implements MigrationInterface {
    name = 'ServiceAccounts1796143800000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE \`user\` ADD \`kind\` varchar(16) NOT NULL DEFAULT 'PERSON'`);
        await queryRunner.query(`ALTER TABLE \`user\` MODIFY \`email\` varchar(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        // Service accounts without an address cannot stay once the column is NOT NULL again.
        await queryRunner.query(`DELETE FROM \`user\` WHERE \`email\` IS NULL`);
        await queryRunner.query(`ALTER TABLE \`user\` MODIFY \`email\` varchar(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL`);
        await queryRunner.query(`ALTER TABLE \`user\` DROP COLUMN \`kind\``);
    }

}
