// cover's own version, from its package.json, found by walking up from this file (src/ under ts-jest, dist/src/ built).

import * as fs from 'fs';
import * as path from 'path';

let cached: string | undefined;

export function coverVersion(): string {
  if (cached) return cached;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const p = path.join(dir, 'package.json');
    if (fs.existsSync(p)) {
      try {
        const pkg = JSON.parse(fs.readFileSync(p, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === '@cover-video/cover' && typeof pkg.version === 'string') return (cached = pkg.version);
      } catch {
        // not ours: keep walking
      }
    }
    if (path.dirname(dir) === dir) return (cached = 'unknown');
  }
}
