// What an errno from reading or writing a file or folder means, in words and with the fix that fits it: a symlink loop
// is not a permission problem, a folder that cannot be read is not an empty one, a full disk is not a bad path. The
// one table behind every such message: the dataset readers, the check and the video probe (reading), and the run
// folder, checkpoints, logs and outputs (writing, errors.ts fileError).

/** The error's errno code (`EACCES`), or undefined for an error that has none. */
export function errnoCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True when the path is simply not there (ENOENT), or a part of it is a file (ENOTDIR): absent, not unreadable. */
export function isAbsent(err: unknown): boolean {
  const code = errnoCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Codes that are the machine's problem (a full or failing disk), not the path's: exit 3 rather than 2. */
export const MACHINE_ERRNOS: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EFBIG']);

/**
 * The problem behind an fs error and its fix, for a `file` or a `folder` being read or written.
 * @example
 * fsProblem(Object.assign(new Error(), { code: 'ELOOP' }), 'file')
 * // { message: 'is a symbolic link that loops (ELOOP)', suggestion: 'remove the link, or point it at the real file' }
 * fsProblem(Object.assign(new Error(), { code: 'ENOSPC' }), 'file', 'write')
 * // { message: 'the disk is full (ENOSPC)', suggestion: 'free some space on that disk, or choose a folder on another one' }
 */
export function fsProblem(err: unknown, what: 'file' | 'folder', mode: 'read' | 'write' = 'read'): { message: string; suggestion: string } {
  const code = errnoCode(err);
  switch (code) {
    case 'ENOENT':
      return { message: mode === 'read' ? `${what} not found (ENOENT)` : 'no such file or folder (ENOENT)', suggestion: 'check the path' };
    case 'ENOTDIR':
      return { message: 'a part of the path is a file, not a folder (ENOTDIR)', suggestion: 'check the path' };
    case 'EACCES':
    case 'EPERM':
      return {
        message: `permission denied (${code})`,
        suggestion: mode === 'read'
          ? `let this user read it (chmod ${what === 'folder' ? 'a+rx' : 'a+r'} on it, a+x on the folders above it), or run cover as a user who can`
          : 'check the permissions of the folder (ls -ld), or choose another path',
      };
    case 'ELOOP':
      return { message: 'is a symbolic link that loops (ELOOP)', suggestion: `remove the link, or point it at the real ${what}` };
    case 'EISDIR':
      return { message: 'is a folder, not a file (EISDIR)', suggestion: 'give the file inside it' };
    case 'EMFILE':
    case 'ENFILE':
      return { message: `too many open files (${code})`, suggestion: 'raise the open-file limit (ulimit -n) or lower --concurrency' };
    case 'EIO':
      return { message: 'input/output error (EIO): the disk or network file system failed', suggestion: 'check the disk (dmesg) and run again' };
    case 'ENOSPC':
      return { message: 'the disk is full (ENOSPC)', suggestion: 'free some space on that disk, or choose a folder on another one' };
    case 'EDQUOT':
      return { message: 'the disk quota is used up (EDQUOT)', suggestion: 'free some space, or choose a folder on another disk' };
    case 'EFBIG':
      return { message: 'the file is too large for this file system (EFBIG)', suggestion: 'choose a folder on another file system' };
    case 'EROFS':
      return { message: 'the file system is read-only (EROFS)', suggestion: 'choose a folder on a writable disk' };
    case 'EEXIST':
      return { message: 'already exists (EEXIST)', suggestion: 'choose another path' };
    case 'ENAMETOOLONG':
      return { message: 'the path is too long (ENAMETOOLONG)', suggestion: 'choose a shorter path' };
    case 'EBUSY':
      return { message: 'the file is in use (EBUSY)', suggestion: 'try again when the other program is done with it' };
    default:
      return { message: `cannot be ${mode === 'read' ? 'read' : 'written'} (${code ?? String(err)})`, suggestion: 'check the path and its permissions' };
  }
}
