import type { ActionFunctionArgs } from '@remix-run/node';
import { redirect } from '@remix-run/node';
import { redirectWithCookies } from '../lib/session.server.js';

export async function loader() {
  return redirect('/');
}

export async function action({ request, context }: ActionFunctionArgs) {
  const res = await context.auth.api.signOut({ headers: request.headers, asResponse: true });
  return redirectWithCookies('/', res);
}
