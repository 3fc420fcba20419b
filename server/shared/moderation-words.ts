/**
 * Moderation words shared by the server and the UI (issue 15): the categories a prompt can be
 * refused for, each in plain words, and the image policies a workspace can have.
 */
export const MODERATION_CATEGORIES = {
  minors: 'sexual content involving minors',
  sexual: 'sexual or pornographic content',
  violence: 'graphic violence or gore',
  'self-harm': 'self-harm or suicide',
  hate: 'hate against people for who they are',
  harassment: 'harassment or threats against people',
  illicit: 'help with serious crimes or weapons',
} as const;

export type ModerationCategory = keyof typeof MODERATION_CATEGORIES;
export const CATEGORY_IDS = Object.keys(MODERATION_CATEGORIES) as [ModerationCategory, ...ModerationCategory[]];

/** What happens to an image the classifier flags: shown blurred until someone clicks "Show", or not shown at all. */
export const IMAGE_POLICIES = ['blur', 'block'] as const;
export type ImagePolicy = (typeof IMAGE_POLICIES)[number];
export const POLICY_RANK: Record<ImagePolicy, number> = { blur: 1, block: 2 };
export const POLICY_LABEL: Record<ImagePolicy, string> = {
  blur: 'Blur flagged images (anyone can click “Show”)',
  block: 'Block flagged images (they are not shown or downloadable)',
};

/** The stricter of two policies: an owner may tighten the operator's default, never loosen it. */
export const stricter = (a: ImagePolicy, b: ImagePolicy | null | undefined): ImagePolicy => (b && POLICY_RANK[b] > POLICY_RANK[a] ? b : a);

/** How a flagged asset is shown to members (none: not flagged, or not classified). */
export type ImageVerdict = 'none' | 'blur' | 'block';

export const TERM_MAX = 80;
