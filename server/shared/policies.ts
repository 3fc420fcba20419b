/** The product's policies, versioned. A new version shows signed-in people a notice with its summary. */
export const POLICIES = {
  privacy: { title: 'Privacy policy', path: '/privacy', version: '2026-12-03', summary: 'Generated files now carry a machine-readable mark saying they were made by AI, and by which model; it holds nothing about you.' },
  terms: { title: 'Terms of service', path: '/terms', version: '2026-12-06', summary: 'PNG and JPEG images now also carry signed Content Credentials (C2PA) saying they were made by AI; please keep them when you share.' },
  cookies: { title: 'Cookie policy', path: '/cookies', version: '2026-11-24', summary: 'What we keep in your browser and the choices you have.' },
  subprocessors: { title: 'Subprocessors', path: '/subprocessors', version: '2026-11-24', summary: 'Who processes data for us, and what each model provider keeps.' },
} as const;

export type PolicyName = keyof typeof POLICIES;
export const POLICY_NAMES = Object.keys(POLICIES) as PolicyName[];
