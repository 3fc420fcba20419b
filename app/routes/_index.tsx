import type { LoaderFunctionArgs } from '@remix-run/node';
import { redirect } from '@remix-run/node';
import { Link, useSearchParams } from '@remix-run/react';

export async function loader({ context }: LoaderFunctionArgs) {
  const me = await (await context.trpc()).me.get();
  if (me) throw redirect('/studio');
  return null;
}

export default function Index() {
  const [params] = useSearchParams();
  return (
    <section className="hero">
      {params.get('deleted') ? (
        <p className="panel notice" role="status">
          Your account is scheduled for deletion and you were signed out everywhere. Sign in within the grace period to cancel it.
        </p>
      ) : null}
      <p className="eyebrow">FLUX.2 [klein] and friends</p>
      <h1>Generate images, keep the good ones, make them together.</h1>
      <p className="lead">
        Type a prompt, watch it render live, and keep what you like in your library. Works offline with the built-in model; plug in Black Forest Labs,
        fal or Replicate when you want more.
      </p>
      <div className="row gap">
        <Link className="button primary large" to="/sign-up">
          Create a free account
        </Link>
        <Link className="button ghost large" to="/sign-in">
          Sign in
        </Link>
      </div>
      <ul className="feature-list">
        <li>
          <strong>Live progress</strong>
          <span>Every job streams its status to you, on whatever page you are.</span>
        </li>
        <li>
          <strong>Your library</strong>
          <span>Everything you keep, newest first, private to your workspace.</span>
        </li>
        <li>
          <strong>Private by design</strong>
          <span>Files are only served to members of your workspace.</span>
        </li>
      </ul>
    </section>
  );
}
