// Folders and files this user may not read, for the reader tests. chmod 000 stops no one when the tests run as root
// (as they do in the CI container), so `failFs` makes one fs.promises call fail for one path, in-process, with the
// errno a real one gives; `AS_ROOT` lets the tests that do use chmod skip, saying why.

import { promises as fsp } from 'fs';
import * as path from 'path';

export const AS_ROOT = process.getuid?.() === 0;

type Method = 'readdir' | 'access' | 'stat';

/** Makes `fs.promises[method](target)` reject with `code` (EACCES, ELOOP...) until the returned spy is restored. */
export function failFs(method: Method, target: string, code: string): jest.SpyInstance {
  const original = fsp[method].bind(fsp) as (...args: unknown[]) => Promise<unknown>;
  const spy = jest.spyOn(fsp, method) as unknown as jest.SpyInstance;
  spy.mockImplementation((p: unknown, ...rest: unknown[]) => {
    if (path.resolve(String(p)) !== path.resolve(target)) return original(p, ...rest);
    return Promise.reject(Object.assign(new Error(`${code}: simulated, ${method} '${String(p)}'`), { code, syscall: method, path: String(p) }));
  });
  return spy;
}
