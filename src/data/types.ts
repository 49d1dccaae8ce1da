// The data model shared by every reader, the decoder and the loader. A reader turns a dataset in its published layout
// (docs/notes/cover-spec.md §4) into a DatasetIndex: label names plus samples; nothing is decoded until the loader
// asks.

/** The dataset formats cover reads. */
export type DatasetFormat = 'kinetics' | 'ssv2' | 'mit' | 'imagefolder' | 'manifest';

export type SampleKind = 'video' | 'image';

/** How frames are chosen from a video (docs/notes/cover-spec.md §1.10): Kinetics dense with a stride, SSv2 TSN segments, MiT whole clip. */
export type SamplingScheme = 'dense' | 'segments' | 'uniform';

export interface Sample {
  /** Absolute path of the video or image file. */
  path: string;
  /** Class index into DatasetIndex.labels; -1 when the split has no labels (a test split). */
  label: number;
  kind: SampleKind;
  /** Optional clip window inside the file, seconds (a manifest's start/end; Kinetics files are already trimmed). */
  start?: number;
  end?: number;
  /** Where the entry came from, for error messages: `file:line`. */
  source?: string;
}

/** A problem found while reading an index (bad row, unknown label, missing file): counted and reported, not fatal. */
export interface IndexProblem {
  source: string;
  path?: string;
  problem: string;
  /** What went wrong, for counting: a malformed row, a label not in the class list, a file not on disk. */
  kind?: IndexProblemKind;
}

export type IndexProblemKind = 'bad-row' | 'unknown-label' | 'missing-file';

export interface DatasetIndex {
  /** Short name, e.g. `k400`, `ssv2`, `demo-k400`. */
  name: string;
  format: DatasetFormat;
  split: 'train' | 'val' | 'test';
  root: string;
  /** Label names, index = class id. */
  labels: string[];
  /** Human-readable names where the labels are ids (ImageNet synsets: `n03595614` -> `jersey, T-shirt, tee shirt`). */
  displayNames?: string[];
  samples: Sample[];
  /** Entries skipped while reading the index. */
  problems: IndexProblem[];
  /** Frame sampling and augmentation defaults for this kind of data. */
  sampling: SamplingScheme;
  /** False where direction is the label (SSv2-style): a horizontal flip would change the class. */
  flipAllowed: boolean;
}

/**
 * How training augments the kinds of data the TimeSformer reference never trains on; both are cover's choices, as CoVeR
 * publishes neither (docs/notes/cover-spec.md §2.4). A run saves it with its settings (RunConfig.augment), so a resumed
 * run samples as it did; runs saved before it have none, and keep the behaviour they had ('fixed', 'video').
 *   uniform  'segments': a MiT-style clip (sampling 'uniform') takes a random frame from each of T equal parts in
 *            training, as mmaction2 trains TSN on MiT (configs/recognition/tsn/tsn_r50-in1k-pre_8xb16-1x1x6-100e_mit-rgb.py,
 *            SampleFrames); 'fixed': the test frames, evenly spread, every time. Evaluation is always 'fixed'.
 *   images   'inception': an Inception-style random-resized crop and a flip (transforms.ts planInceptionCrop);
 *            'video': the video pipeline's short-side scale jitter and crop.
 */
export interface TrainAugment {
  uniform: 'segments' | 'fixed';
  images: 'inception' | 'video';
}

/** Normalisation and input geometry, stored in a checkpoint's config.json so that eval and predict match training. */
export interface Preprocessing {
  /** Per-channel mean and std on [0, 1] pixels; the reference uses 0.45 / 0.225 (PySlowFast default). */
  mean: [number, number, number];
  std: [number, number, number];
  /** Square crop fed to the model. */
  cropSize: number;
  /** Frames per clip. */
  numFrames: number;
  /** Frame stride for dense sampling, in frames at targetFps (sampling.ts videoStride). */
  samplingRate: number;
  /** The rate samplingRate counts frames in (the reference's 30); absent in older checkpoints: each video's own rate. */
  targetFps?: number;
}

/** A decoded, transformed clip ready for the model: frames x height x width x RGB, normalised float32. */
export interface Clip {
  /** [T, H, W, 3], row-major. */
  data: Float32Array;
  shape: [number, number, number, 3];
}
