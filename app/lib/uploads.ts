import type { AssetView } from '../../server/shared/views.js';
import { messageFor } from '../../server/shared/errors.js';

export const ACCEPTED_IMAGE_TYPES = 'image/png,image/jpeg,image/webp';

/** Sends one file through the validated upload path; throws an Error with a message for a person. */
export async function uploadReference(file: File, workspaceId?: string): Promise<AssetView> {
  const params = new URLSearchParams({ name: file.name });
  if (workspaceId) params.set('workspaceId', workspaceId);
  let res: Response;
  try {
    res = await fetch(`/uploads?${params}`, { method: 'POST', body: file, headers: { 'content-type': 'application/octet-stream' } });
  } catch {
    throw new Error('The upload did not reach the server. Check your connection and try again.');
  }
  const body = (await res.json().catch(() => null)) as { asset?: AssetView; error?: { code?: string; message?: string } } | null;
  if (!res.ok || !body?.asset) throw new Error(messageFor(body?.error?.code, body?.error?.message));
  return body.asset;
}
