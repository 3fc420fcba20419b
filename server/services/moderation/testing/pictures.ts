import sharp from 'sharp';

/**
 * The moderation tests' two pictures, scored by the real classifier: the skin-coloured square about
 * 0.03 unsafe (flagged at a low threshold) and the pattern about 0.001 (never flagged).
 */
export const W = 512;
export const skinImage = () => sharp({ create: { width: W, height: W, channels: 3, background: { r: 224, g: 172, b: 140 } } }).png().toBuffer();
export const patternImage = () =>
  sharp(
    Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${W}"><rect width="100%" height="100%" fill="rgb(60,30,40)"/><ellipse cx="180" cy="260" rx="120" ry="140" fill="rgb(120,160,200)"/><ellipse cx="340" cy="260" rx="120" ry="140" fill="rgb(200,200,90)"/><circle cx="190" cy="270" r="14" fill="rgb(20,70,70)"/></svg>`,
    ),
  )
    .png()
    .toBuffer();
