import { Form } from '@remix-run/react';

const LABELS: Record<string, string> = { github: 'GitHub', google: 'Google' };

/** "Continue with …" for each configured identity provider (none shown when none is configured). */
export function SocialButtons({ providers, next }: { providers: string[]; next: string }) {
  if (providers.length === 0) return null;
  return (
    <div className="stack-s">
      {providers.map((p) => (
        <Form key={p} method="post" action="/auth/social">
          <input type="hidden" name="provider" value={p} />
          <input type="hidden" name="next" value={next} />
          <button type="submit" className="button ghost wide">
            Continue with {LABELS[p] ?? p}
          </button>
        </Form>
      ))}
      <p className="divider" aria-hidden="true">
        or
      </p>
    </div>
  );
}

export const providerLabel = (p: string) => LABELS[p] ?? (p === 'credential' ? 'Email and password' : p);
