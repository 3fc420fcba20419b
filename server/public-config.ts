import type { Config } from './config.js';

/**
 * The named allow-list of configuration that Remix loaders and actions may see (and may pass on
 * to the page). Nothing else of `Config` reaches the UI layer: no secrets, keys or URLs of
 * outside services.
 */
export interface PublicConfig {
  /** The public origin (`BASE_URL`): the Origin the forms' auth calls send, and whether cookies are Secure. */
  baseUrl: string;
  /** Outside sign-in providers that are configured (the buttons the sign-in page shows). */
  oauthProviders: ('github' | 'google')[];
  /** Retention periods, in days, that the privacy pages state. */
  retention: Pick<Config['retention'], 'unsavedOutputDays' | 'exportDays' | 'deletionGraceDays' | 'usageLogDays' | 'analyticsDays'>;
  /** Where a banned person writes to appeal (shown when a sign-in is refused for a ban). */
  appealsEmail: string | null;
}

export function publicConfig(config: Config): PublicConfig {
  const r = config.retention;
  return {
    baseUrl: config.baseUrl,
    oauthProviders: (['github', 'google'] as const).filter((p) => Boolean(config.oauth[p])),
    retention: { unsavedOutputDays: r.unsavedOutputDays, exportDays: r.exportDays, deletionGraceDays: r.deletionGraceDays, usageLogDays: r.usageLogDays, analyticsDays: r.analyticsDays },
    appealsEmail: config.appealsEmail ?? null,
  };
}
