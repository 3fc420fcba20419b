import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Auth } from '../auth/index.js';
import { getSessionUser } from '../auth/index.js';
import { openAssetFile } from '../services/assets.js';
import type { Deps } from '../services/deps.js';
import { AppError, ERROR_CODES } from '../shared/errors.js';
import { toHeaders } from './headers.js';

/**
 * GET /files/:id — an asset's bytes, only for members of its workspace. There is no public
 * directory of outputs; `?download=1` asks the browser to save the file, `?thumb=1` gives a small WebP.
 */
export function fileRoute(deps: Deps, auth: Auth) {
  return async (req: Request, res: Response) => {
    try {
      const id = z.uuid().safeParse(req.params.id);
      if (!id.success) throw new AppError('NOT_FOUND');
      const user = await getSessionUser(auth, toHeaders(req));
      if (!user) throw new AppError('UNAUTHORIZED');
      const file = await openAssetFile(deps, { userId: user.id }, id.data, { thumb: req.query.thumb === '1' });
      res.setHeader('Content-Type', file.mime);
      res.setHeader('Content-Length', String(file.size));
      res.setHeader('Cache-Control', 'private, max-age=3600');
      res.setHeader('Content-Security-Policy', "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'");
      const disposition = req.query.download === '1' ? 'attachment' : 'inline';
      res.setHeader('Content-Disposition', `${disposition}; filename="${file.name}"`);
      file.stream.on('error', () => res.destroy());
      file.stream.pipe(res);
    } catch (err) {
      const code = err instanceof AppError ? err.code : 'INTERNAL';
      if (!(err instanceof AppError)) deps.log.error('file route failed', { err });
      res.status(ERROR_CODES[code].http).json({ error: { code, message: ERROR_CODES[code].message } });
    }
  };
}
