import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExifTool } from 'exiftool-vendored';

/**
 * Reads a file's metadata with ExifTool (exiftool-vendored: Phil Harvey's Perl ExifTool), a reader
 * we did not write, for the tests of our AI marking. Tags come grouped (`XMP-iptcExt:...`).
 */
export function startExifReader() {
  const exiftool = new ExifTool({ maxProcs: 1 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fk-exif-'));
  let n = 0;
  return {
    async read(data: Buffer, ext: string): Promise<{ tags: Record<string, unknown>; warnings: string }> {
      const file = path.join(dir, `${++n}.${ext}`);
      fs.writeFileSync(file, data);
      const tags = (await exiftool.read(file, { readArgs: ['-G1', '-a'] })) as unknown as Record<string, unknown>;
      const warnings = [tags['ExifTool:Warning'], tags['Warning']].filter(Boolean).join('; ');
      return { tags, warnings };
    },
    async close() {
      await exiftool.end();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
