import { MigrationInterface, QueryRunner } from "typeorm";

export class AccountScopes1795432656686 implements MigrationInterface {
    name = 'AccountScopes1795432656686'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE \`account_scope\` (\`id\` varchar(36) NOT NULL, \`accountId\` varchar(36) NOT NULL, \`name\` varchar(64) NOT NULL, \`description\` varchar(1000) NULL, \`minRole\` varchar(16) NOT NULL DEFAULT 'MEMBER', \`createdById\` varchar(36) NULL, \`createdAt\` datetime(3) NOT NULL, \`updatedAt\` datetime(3) NOT NULL, UNIQUE INDEX \`uq_account_scope_account_name\` (\`accountId\`, \`name\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
        await queryRunner.query(`ALTER TABLE \`api_token\` ADD \`catalogScopes\` varchar(1500) NULL`);
        await queryRunner.query(`ALTER TABLE \`account_scope\` ADD CONSTRAINT \`FK_bcd612bd76bc51820a9ead87f70\` FOREIGN KEY (\`accountId\`) REFERENCES \`account\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE \`account_scope\` DROP FOREIGN KEY \`FK_bcd612bd76bc51820a9ead87f70\``);
        await queryRunner.query(`ALTER TABLE \`api_token\` DROP COLUMN \`catalogScopes\``);
        await queryRunner.query(`DROP INDEX \`uq_account_scope_account_name\` ON \`account_scope\``);
        await queryRunner.query(`DROP TABLE \`account_scope\``);
    }

}
