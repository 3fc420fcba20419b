import type { Migration } from 'kysely';
import * as m0001 from './0001_auth.js';
import * as m0002 from './0002_workspaces.js';
import * as m0003 from './0003_generations_assets.js';
import * as m0004 from './0004_socket_io.js';
import * as m0005 from './0005_studio.js';
import * as m0006 from './0006_asset_output_index.js';
import * as m0020 from './0020_teams_boards.js';
import * as m0030 from './0030_auth_plugins.js';
import * as m0040 from './0040_privacy.js';
import * as m0051 from './0051_keep_billing_records.js';
import * as m0042 from './0042_consent_analytics.js';
import * as m0043 from './0043_usage_log.js';
import * as m0044 from './0044_policy_acceptance.js';
import * as m0045 from './0045_privacy_requests.js';
import * as m0046 from './0046_backups.js';
import * as m0050 from './0050_billing.js';
import * as m0060 from './0060_board_live.js';
import * as m0070 from './0070_generation_limits_indexes.js';
import * as m0071 from './0071_session_end_board_quarantine.js';
import * as m0072 from './0072_operator_sessions_and_limits.js';
import * as m0073 from './0073_deletion_log.js';
import * as m0075 from './0075_board_asset_refunds.js';
import * as m0080 from './0080_library_search.js';
import * as m0085 from './0085_deletion_cancel_notice.js';
import * as m0090 from './0090_moderation.js';
import * as m0095 from './0095_reports_and_takedown.js';
import * as m0105 from './0105_board_versions.js';
import * as m0106 from './0106_generation_board_feed.js';
import * as m0110 from './0110_board_share_links.js';
import * as m0115 from './0115_board_comments.js';
import * as m0120 from './0120_lineage_queue_prompts.js';
import * as m0130 from './0130_api_keys_webhooks.js';
import * as m0135 from './0135_library_keyset_index.js';
import * as m0140 from './0140_one_standing_record.js';

/** Every migration, in order. Forward-only: a landed migration is never edited. */
export const migrations: Record<string, Migration> = {
  '0001_auth': m0001,
  '0002_workspaces': m0002,
  '0003_generations_assets': m0003,
  '0004_socket_io': m0004,
  '0005_studio': m0005,
  '0006_asset_output_index': m0006,
  '0020_teams_boards': m0020,
  '0030_auth_plugins': m0030,
  '0040_privacy': m0040,
  '0042_consent_analytics': m0042,
  '0043_usage_log': m0043,
  '0044_policy_acceptance': m0044,
  '0045_privacy_requests': m0045,
  '0046_backups': m0046,
  '0050_billing': m0050,
  '0051_keep_billing_records': m0051,
  '0060_board_live': m0060,
  '0070_generation_limits_indexes': m0070,
  '0071_session_end_board_quarantine': m0071,
  '0072_operator_sessions_and_limits': m0072,
  '0073_deletion_log': m0073,
  '0075_board_asset_refunds': m0075,
  '0080_library_search': m0080,
  '0085_deletion_cancel_notice': m0085,
  '0090_moderation': m0090,
  '0095_reports_and_takedown': m0095,
  '0105_board_versions': m0105,
  '0106_generation_board_feed': m0106,
  '0110_board_share_links': m0110,
  '0115_board_comments': m0115,
  '0120_lineage_queue_prompts': m0120,
  '0130_api_keys_webhooks': m0130,
  '0135_library_keyset_index': m0135,
  '0140_one_standing_record': m0140,
};
