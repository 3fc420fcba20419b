/**
 * Provider names as people read them, shared by the server (catalogue, health) and the UI (the
 * card's "via …", the library's preview badge). `local` is the offline preview renderer: it draws
 * placeholder pictures on the CPU and is not an AI model.
 */
export const PROVIDER_LABELS: Record<string, string> = {
  local: 'Offline preview',
  comfyui: 'ComfyUI',
  'openai-images': 'Image server',
  bfl: 'Black Forest Labs',
  fal: 'fal',
  replicate: 'Replicate',
};

export const providerLabel = (name: string) => PROVIDER_LABELS[name] ?? name;

/** True for outputs of the offline preview renderer (placeholders, not made by an AI model). */
export const isPreviewProvider = (name: string | null | undefined) => name === 'local';

/** The studio's one-line hint when only the offline preview is available for a kind. */
export const CONNECT_MODEL_HINT: Record<'image' | 'video', string> = {
  image:
    'No AI model is connected, so pictures are placeholders drawn by the offline preview. To use FLUX.2 [klein], the operator sets a provider key (BFL_API_KEY, FAL_KEY or REPLICATE_API_TOKEN) or COMFYUI_URL for their own GPU, and restarts.',
  video: 'No AI video model is connected, so clips are placeholders drawn by the offline preview. To make real videos, the operator sets FAL_KEY (Kling on fal) and restarts.',
};
