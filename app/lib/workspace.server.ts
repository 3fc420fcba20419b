import type { AppLoadContext } from '@remix-run/node';

/**
 * The current workspace is remembered in a first-party, necessary cookie `fk_ws` (HttpOnly,
 * SameSite=Lax). It only says which of your workspaces to show; it is checked against your
 * memberships on every request, and falls back to your personal workspace.
 */
export const WORKSPACE_COOKIE = 'fk_ws';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function workspaceCookieValue(request: Request): string | null {
  const header = request.headers.get('cookie') ?? '';
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === WORKSPACE_COOKIE) {
      const value = decodeURIComponent(v.join('='));
      return UUID.test(value) ? value : null;
    }
  }
  return null;
}

/** Picks the current workspace among the user's: the remembered one if still a member, else the personal one. */
export function pickWorkspace<W extends { id: string; kind: string }>(request: Request, workspaces: W[]): W | null {
  const remembered = workspaceCookieValue(request);
  return workspaces.find((w) => w.id === remembered) ?? workspaces.find((w) => w.kind === 'personal') ?? workspaces[0] ?? null;
}

/** The id of the workspace this request acts in (validated against membership), or null when signed out. */
export async function currentWorkspaceId(request: Request, context: AppLoadContext): Promise<string | null> {
  const trpc = await context.trpc();
  const me = await trpc.me.get();
  if (!me) return null;
  return pickWorkspace(request, me.workspaces)?.id ?? null;
}

/** The Set-Cookie header that remembers a workspace (a year; Secure when served over https). */
export function workspaceCookie(context: AppLoadContext, workspaceId: string | null): string {
  const secure = context.publicConfig.baseUrl.startsWith('https://') ? '; Secure' : '';
  if (!workspaceId) return `${WORKSPACE_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax${secure}`;
  return `${WORKSPACE_COOKIE}=${workspaceId}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax${secure}`;
}
