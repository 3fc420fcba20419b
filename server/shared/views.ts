/**
 * What the browser is sent about generations and library assets: plain view types shared by the
 * services that build them and the UI that shows them (the UI never imports server/services/).
 */
import type { GenerationStatus, LineageKind } from '../../db/schema.js';
import type { ImageVerdict } from './moderation.js';

/** Where a stored file is served (members of its workspace only). */
export const fileUrl = (assetId: string) => `/files/${assetId}`;

export interface GenerationAssetView {
  id: string;
  url: string;
  width: number | null;
  height: number | null;
  media: 'image' | 'video';
  mime: string;
  saved: boolean;
  /** How the workspace's image policy shows it: 'blur' until someone clicks "Show" (blocked ones are left out). */
  moderation: Exclude<ImageVerdict, 'block'>;
}

export interface GenerationView {
  id: string;
  workspaceId: string;
  boardId: string | null;
  kind: 'image' | 'video';
  mode: 'text' | 'image';
  status: GenerationStatus;
  progress: number;
  prompt: string;
  model: string;
  /** The provider that served it (or is serving it, or will first try). */
  provider: string;
  aspectRatio: string;
  width: number;
  height: number;
  seed: number;
  count: number;
  steps: number | null;
  guidance: number | null;
  durationSeconds: number | null;
  fps: number | null;
  /** What the picture should not show (models that take one). */
  negativePrompt: string | null;
  /** The provider's last status line while it runs (fal's queue position, a log line). */
  statusMessage: string | null;
  /** Lineage: the generation it was made from, and how. */
  parentGenerationId: string | null;
  lineage: LineageKind | null;
  creditCost: number;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: Date;
  updatedAt: number;
  finishedAt: Date | null;
  referenceIds: string[];
  assets: GenerationAssetView[];
  /** Outputs the workspace's image policy blocks: not listed, shown or served. */
  withheld: number;
  /** Credits given back because some outputs were not delivered (blocked when made, or not returned); 0 otherwise. */
  creditsReturned: number;
}


export interface AssetView {
  id: string;
  workspaceId: string;
  url: string;
  mime: string;
  media: 'image' | 'video';
  source: 'output' | 'upload';
  width: number | null;
  height: number | null;
  sizeBytes: number;
  createdAt: Date;
  generationId: string | null;
  prompt: string | null;
  seed: number | null;
  model: string | null;
  /** The provider that made it (outputs only). */
  provider: string | null;
  /** Made by the offline preview renderer: a placeholder, not an AI image. */
  preview: boolean;
  saved: boolean;
  favorite: boolean;
  tags: string[];
  originalName: string | null;
  /** 'blur': flagged by the image classifier, shown blurred until someone clicks "Show"; blocked assets are never in a view. */
  moderation: Exclude<ImageVerdict, 'block'>;
}

export interface AssetDetail extends AssetView {
  params: Record<string, unknown> | null;
  references: { id: string; url: string }[];
}
