// What every library call of src/session/ takes besides its own: where the data is (or the demo suite), the recipe and
// the settings given explicitly, the run's folder, and the backend. train(), transfer() and study() extend it.

import { BackendRequestOptions } from '../engine/backend';
import { DemoSize } from '../demo/plan';
import { RunSettings } from '../run/run_config';
import { RecipeName } from '../train/recipes';

export interface SessionRequest {
  /** Where each dataset is, `NAME -> [FORMAT:]PATH`; none at all: the embedded demo suite. */
  data?: Record<string, string>;
  /** The demo suite used when `data` is empty: its size (default small) and folder (default `.cover/demo/<size>`). */
  demo?: { size?: DemoSize; dir?: string };
  /** The recipe whose defaults the unset settings take (default demo). */
  recipe?: RecipeName;
  /** Settings given explicitly; an undefined one takes the recipe's value. */
  settings?: Partial<RunSettings>;
  /** The run's folder (each call has its default). */
  out?: string;
  /** Replace the run in `out` (cover's files of it only). */
  overwrite?: boolean;
  /** The backend (default auto: the fastest present that holds the run), threads, accelerator, device, precision. */
  engine?: Partial<BackendRequestOptions>;
}
