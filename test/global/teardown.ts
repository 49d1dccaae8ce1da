// jest globalTeardown: removes the shared tiny suite, and fails the run if a test changed it (a file's bytes differ
// from its SHA256SUMS, a file is gone, or one was added), since every other test file read the same folder.
import { promises as fs } from 'fs';
import * as path from 'path';
import { SUMS_FILE, verifyDemoSuite } from '../../src/demo/suite';
import { TINY_SUITE_ENV, TINY_SUITE_ERROR_ENV } from '../helpers/tiny_suite';

export default async function globalTeardown(): Promise<void> {
  const root = process.env[TINY_SUITE_ENV];
  if (!root) return;
  try {
    if (process.env[TINY_SUITE_ERROR_ENV]) return;
    const { mismatched } = await verifyDemoSuite(root);
    const listed = new Set((await fs.readFile(path.join(root, SUMS_FILE), 'utf8')).split('\n').filter(Boolean).map((l) => l.slice(66)));
    const added = (await files(root)).filter((f) => f !== SUMS_FILE && !listed.has(f));
    const changed = [...mismatched, ...added.map((f) => `${f} (added)`)];
    if (changed.length > 0) throw new Error(`a test changed the shared tiny demo suite (copy it before breaking it): ${changed.join(', ')}`);
  } finally {
    await fs.rm(path.dirname(root), { recursive: true, force: true });
  }
}

/** Relative paths (with `/`) of every file under dir. */
async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const rel of await fs.readdir(dir, { recursive: true })) {
    if ((await fs.stat(path.join(dir, rel))).isFile()) out.push(rel.split(path.sep).join('/'));
  }
  return out;
}
