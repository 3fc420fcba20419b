import type { Kysely } from 'kysely';

/** Which of a generation's outputs an asset is (its seed is the generation's seed plus this). */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('asset').addColumn('output_index', 'integer').execute();
}
