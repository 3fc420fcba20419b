import { useState, type ReactNode } from 'react';

/**
 * An image or video the classifier flagged, under a workspace policy of "blur": shown blurred with
 * a note and a real "Show" button (keyboard and screen readers reach it; it says what it reveals),
 * and a "Hide" button once shown. Anything not flagged renders as it is. Blocked items never reach
 * the page (the server leaves them out and /files refuses them).
 *
 * The button sits beside the media, not inside it, because the media is often a link.
 */
export function SensitiveMedia({ verdict, what, className, children }: { verdict: 'none' | 'blur'; what: string; className?: string; children: ReactNode }) {
  const [shown, setShown] = useState(false);
  if (verdict !== 'blur') return <>{children}</>;
  const hidden = !shown;
  return (
    <div className={`sensitive ${hidden ? 'is-hidden' : 'is-shown'} ${className ?? ''}`} data-testid="sensitive-media">
      {/* While hidden the media is out of reach (inert: no focus, no clicks through the blur). */}
      <div className="sensitive-media" aria-hidden={hidden || undefined} {...(hidden ? { inert: '' } : {})}>
        {children}
      </div>
      {hidden ? (
        <div className="sensitive-cover">
          <p className="sensitive-note">May be sensitive: blurred by this workspace’s content policy.</p>
          <button type="button" className="button small" onClick={() => setShown(true)} aria-label={`Show ${what}`}>
            Show
          </button>
        </div>
      ) : (
        <button type="button" className="button ghost small sensitive-hide" onClick={() => setShown(false)} aria-label={`Hide ${what} again`}>
          Hide
        </button>
      )}
    </div>
  );
}
