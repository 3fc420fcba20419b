/**
 * HTTP for share links (issue 17): the headers every /s/ response carries, and GET
 * /s/:token/files/:assetId — an image on the shared board, for whoever holds a working link
 * (server/services/share-links.ts checks the link and counts the request; server/services/assets.ts
 * checks the asset is on that board and visible). The page itself is a Remix route (app/routes/s.$token.tsx).
 */
import { thumbWidthFrom } from '../services/thumbnails.js';
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { openSharedFile } from '../services/share-links.js';
import type { Deps } from '../services/deps.js';
import { AppError } from '../shared/errors.js';
import { sendError } from './errors.js';

/** The token is in the path: never sent on as a referrer, never indexed, never cached by a shared cache. */
export function shareHeaders() {
  return (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Robots-Tag', 'noindex, nofollow');
    next();
  };
}

export function sharedFileRoute(deps: Deps) {
  return async (req: Request, res: Response) => {
    try {
      const id = z.uuid().safeParse(req.params.assetId);
      if (!id.success) throw new AppError('NOT_FOUND');
      const file = await openSharedFile(deps, String(req.params.token), id.data, { thumb: thumbWidthFrom(req.query.thumb) });
      const { stream, size } = await file.open();
      res.setHeader('Content-Type', file.mime);
      res.setHeader('Content-Length', String(size));
      // Not kept: a revoked link must stop showing images, also from the browser's cache.
      res.setHeader('Cache-Control', 'private, no-store');
      res.setHeader('Content-Security-Policy', "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'");
      res.setHeader('Content-Disposition', 'inline');
      stream.on('error', () => res.destroy());
      stream.pipe(res);
    } catch (err) {
      sendError(res, err, { log: deps.log, what: 'shared file route' });
    }
  };
}
