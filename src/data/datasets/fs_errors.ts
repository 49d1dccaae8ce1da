// A dataset's file or folder that cannot be read, as a DatasetError whose words come from the one errno table
// (src/fs_problem.ts), so one cause reads the same wherever it is met.

import { DatasetError } from '../../errors';
import { fsProblem } from '../../fs_problem';

/** A DatasetError for a `file` or `folder` of a dataset that cannot be read: `cannot read the class folder: permission denied (EACCES)`. */
export function unreadableError(err: unknown, p: string, what: string, kind: 'file' | 'folder'): DatasetError {
  const { message, suggestion } = fsProblem(err, kind);
  return new DatasetError(`cannot read the ${what}: ${message}`, { path: p, suggestion, cause: err });
}
