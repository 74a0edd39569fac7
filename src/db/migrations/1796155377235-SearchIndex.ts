import { MigrationInterface, QueryRunner } from "typeorm";
import { backfillTokenTrigrams } from "../../modules/api-token/search/trigrams";

/**
 * Issue #15: the text search of apiTokens (filter.search) walks a trigram index instead of the whole
 * account (src/modules/api-token/search/trigrams.ts). The table, and every existing token's trigrams.
 */
export class SearchIndex1796155377235 implements MigrationInterface {
    name = 'SearchIndex1796155377235'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE \`api_token_trigram\` (\`accountId\` varchar(36) NOT NULL, \`trigram\` bigint NOT NULL, \`tokenId\` varchar(36) NOT NULL, INDEX \`idx_api_token_trigram_token\` (\`tokenId\`), PRIMARY KEY (\`accountId\`, \`trigram\`, \`tokenId\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
        await queryRunner.query(`ALTER TABLE \`api_token_trigram\` ADD CONSTRAINT \`FK_e000bb4a464fc986172aea82fa8\` FOREIGN KEY (\`tokenId\`) REFERENCES \`api_token\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
        await backfillTokenTrigrams(queryRunner);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE \`api_token_trigram\` DROP FOREIGN KEY \`FK_e000bb4a464fc986172aea82fa8\``);
        await queryRunner.query(`DROP INDEX \`idx_api_token_trigram_token\` ON \`api_token_trigram\``);
        await queryRunner.query(`DROP TABLE \`api_token_trigram\``);
    }

}
