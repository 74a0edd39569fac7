import { MigrationInterface, QueryRunner } from "typeorm";

/** Issue #16 items 4 and 5: a token's IP allowlist and its own rate limit at the gateway. */
export class TokenAccess1796142600000 implements MigrationInterface {
    name = 'TokenAccess1796142600000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE \`api_token\` ADD \`allowedCidrs\` varchar(1000) NULL`);
        await queryRunner.query(`ALTER TABLE \`api_token\` ADD \`rateLimitPerMinute\` int NULL`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE \`api_token\` DROP COLUMN \`rateLimitPerMinute\``);
        await queryRunner.query(`ALTER TABLE \`api_token\` DROP COLUMN \`allowedCidrs\``);
    }

}
