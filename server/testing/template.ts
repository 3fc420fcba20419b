/** The run's migrated database that test servers' databases are copied from (server/testing/global-setup.ts). */
export const MIGRATED_TEMPLATE = 't_migrated_template';
