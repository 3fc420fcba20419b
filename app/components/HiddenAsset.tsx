import { Link } from '@remix-run/react';
import { AppealForm } from './AppealForm.js';

interface Hidden {
  id: string;
  media: 'image' | 'video';
  reasonLabel: string;
  hiddenAt: Date | string;
  mine: boolean;
  appeal: { status: 'open' | 'granted' | 'refused' | 'ended'; answer: string | null; created_at: Date | string } | null;
}

/** What members see in place of an item moderators hid: why, since when, and (for its maker) how to ask for a review. */
export function HiddenAsset({ hidden }: { hidden: Hidden }) {
  const what = hidden.media === 'video' ? 'video' : 'image';
  return (
    <div className="detail hidden-detail">
      <div className="detail-media panel hidden-media" role="img" aria-label={`Hidden ${what}`}>
        <span className="pill pill-failed">Hidden</span>
      </div>
      <aside className="detail-side panel" aria-label="Details">
        <Link to="/library" className="back-link">
          ← Library
        </Link>
        <h1 className="detail-title">Hidden by moderators: {hidden.reasonLabel}</h1>
        <p>
          Since {new Date(hidden.hiddenAt).toLocaleString('en')} this {what} does not show in the library, on boards or through its link, for anyone in the workspace. It was not deleted.
        </p>
        {hidden.mine ? (
          hidden.appeal?.status === 'open' ? (
            <p className="notice panel" role="status">
              You asked for a review on {new Date(hidden.appeal.created_at).toLocaleDateString('en')}. Moderators will answer by notification and email.
            </p>
          ) : (
            <div className="stack-s">
              {hidden.appeal?.status === 'refused' ? (
                <p className="muted small">
                  Moderators looked again and kept it hidden{hidden.appeal.answer ? `: “${hidden.appeal.answer}”` : '.'} You can ask once more if something changed.
                </p>
              ) : null}
              <h2 className="small-heading">Think this is a mistake?</h2>
              <AppealForm assetId={hidden.id} />
            </div>
          )
        ) : (
          <p className="muted small">Only the person who made it can ask moderators for a review.</p>
        )}
      </aside>
    </div>
  );
}
