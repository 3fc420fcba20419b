import express, { type Request, type Response } from 'express';
import type { Auth } from '../auth/index.js';
import { getSessionUser } from '../auth/index.js';
import { currentConsent, recordAnalytics, setConsent } from '../services/consent.js';
import { acceptPolicies } from '../services/policies.js';
import { audit } from '../services/audit.js';
import type { Deps } from '../services/deps.js';
import { CONSENT_COOKIE } from '../shared/consent.js';
import { AppError } from '../shared/errors.js';
import { sendError } from './errors.js';
import { toHeaders } from './headers.js';
import { CLIENT_IP_HEADER } from './security.js';

const cookieOf = (req: Request) =>
  (req.headers.cookie ?? '')
    .split(';')
    .map((c) => c.trim())
    .find((c) => c.startsWith(`${CONSENT_COOKIE}=`))
    ?.slice(CONSENT_COOKIE.length + 1) ?? null;

/** /api/consent (GET the choice, POST a new one) and /api/analytics (an event, kept only with consent). */
export function consentRoutes(deps: Deps, auth: Auth) {
  const r = express.Router();
  r.use(express.json({ limit: '4kb' }));
  const who = async (req: Request) => ({ userId: (await getSessionUser(auth, toHeaders(req)))?.id ?? null, cookie: cookieOf(req), ip: req.get(CLIENT_IP_HEADER) ?? null });
  const bad = (res: Response, err: unknown) => sendError(res, err, { log: deps.log, what: 'consent route' });
  r.get('/consent', async (req, res) => {
    try {
      res.json(await currentConsent(deps, await who(req)));
    } catch (err) {
      bad(res, err);
    }
  });
  r.post('/consent', async (req, res) => {
    try {
      const result = await setConsent(deps, await who(req), req.body);
      res.cookie(CONSENT_COOKIE, result.cookie, { httpOnly: false, sameSite: 'lax', secure: deps.config.baseUrl.startsWith('https://'), maxAge: 365 * 86_400_000, path: '/' });
      res.json(result.state);
    } catch (err) {
      bad(res, err);
    }
  });
  r.post('/policies/accept', async (req, res) => {
    try {
      const { userId } = await who(req);
      if (!userId) throw new AppError('UNAUTHORIZED');
      await acceptPolicies(deps.db, userId, 'clicked');
      await audit(deps.db, userId, 'policies.accepted', {});
      res.json({ ok: true });
    } catch (err) {
      bad(res, err);
    }
  });
  r.post('/analytics', async (req, res) => {
    try {
      res.json(await recordAnalytics(deps, await who(req), req.body));
    } catch (err) {
      bad(res, err);
    }
  });
  return r;
}
