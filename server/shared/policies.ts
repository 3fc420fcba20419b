/** The product's policies, versioned. A new version shows signed-in people a notice with its summary. */
export const POLICIES = {
  privacy: { title: 'Privacy policy', path: '/privacy', version: '2026-11-24', summary: 'First version of our privacy policy: what we keep, for how long, and how you use your rights yourself.' },
  terms: { title: 'Terms of service', path: '/terms', version: '2026-11-24', summary: 'First version of our terms: using the service, credits and payments, your content.' },
  cookies: { title: 'Cookie policy', path: '/cookies', version: '2026-11-24', summary: 'What we keep in your browser and the choices you have.' },
  subprocessors: { title: 'Subprocessors', path: '/subprocessors', version: '2026-11-24', summary: 'Who processes data for us, and what each model provider keeps.' },
} as const;

export type PolicyName = keyof typeof POLICIES;
export const POLICY_NAMES = Object.keys(POLICIES) as PolicyName[];
