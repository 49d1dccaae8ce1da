// `cover predict clip.mp4 [--checkpoint DIR] [--head NAME|all] [--top 5] [--json]`: the top-k labels of a video or an
// image for each head of a checkpoint; a video longer than one clip is read in sliding windows, shown as a timeline.

import { Command } from 'commander';
import { IMAGE_EXT } from '../../data/datasets/common';
import { assertReadableFile } from '../../data/decode/video/probe';
import { initBackend } from '../../engine/backend';
import { CheckpointPrediction, predictWithCheckpoint } from '../../predict/predict';
import { addEngineOptions, allowNonFiniteOption, engineRequest, jsonOption, warnNonFinite, quietOption, verboseOption } from '../options';
import { headsArg, intArg, MAX_WINDOW_S, numArg } from '../parse';
import type { AccelMode } from '../../engine/accel/accel';
import { table } from '../render';
import { DEFAULT_CHECKPOINT } from './eval';
import { printable } from '../../errors';
import { progressFor } from '../progress_line';

interface PredictCliOptions {
  checkpoint: string;
  head: string;
  top: number;
  window?: number;
  stride?: number;
  backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  threads?: number;
  accel: AccelMode;
  allowNonfinite?: boolean;
  json?: boolean;
}

const seconds = (flag: string) => numArg(flag, { min: 0, minExclusive: true, max: MAX_WINDOW_S, note: 'seconds' });

const fmtS = (s: number) => s.toFixed(1);

/** A probability, or what it is when it is not a number (NaN weights, run with --allow-nonfinite). */
const fmtP = (p: number, digits: number) => (Number.isNaN(p) ? 'not a number' : p.toFixed(digits));

/** Per head a top-k table of the whole file; for several windows, a timeline of each window's best label per head. */
export function renderPrediction(p: CheckpointPrediction): string {
  const lines: string[] = [];
  const what =
    p.kind === 'image'
      ? 'image'
      : `${fmtS(p.durationS)} s at ${p.fps!.toFixed(2).replace(/\.?0+$/, '')} fps, ${p.windows.length} window${p.windows.length === 1 ? '' : 's'} of ${fmtS(p.windowS)} s` +
        `${p.windows.length > 1 && p.strideS !== p.windowS ? ` every ${fmtS(p.strideS)} s` : ''} (${p.clipFrames} frames each)`;
  lines.push(`${printable(p.path)}: ${what}`);
  if (p.partial) lines.push(p.partial.note);
  if (p.nanScores) {
    const why = p.nonFiniteWeights ? "the checkpoint's weights hold NaN or Inf (--allow-nonfinite)" : "the model's outputs overflowed";
    lines.push(`note: ${p.nanScores} scores are not numbers: ${why}, so the labels below are in no meaningful order`);
  }
  for (const h of p.heads) {
    const t = table(['#', 'label', 'prob'], { colAligns: ['right', 'left', 'right'] });
    p.overall[h].forEach((lp, i) => t.push([i + 1, lp.label, fmtP(lp.prob, 3)]));
    lines.push(`\n${h}${p.windows.length > 1 ? ' (mean over windows)' : ''}`, t.toString());
  }
  if (p.windows.length > 1) {
    const spans = p.windows.map((w) => `${fmtS(w.startS)}-${fmtS(w.endS)}s`);
    const width = Math.max(...spans.map((s) => s.length));
    lines.push('\ntimeline (best label per window)');
    p.windows.forEach((w, i) => {
      const best = p.heads.map((h) => {
        const top = w.heads[h][0];
        return `${p.heads.length > 1 ? `${h}: ` : ''}${top.label} ${fmtP(top.prob, 2)}`;
      });
      lines.push(`${spans[i].padEnd(width)}  ${best.join(' | ')}`);
    });
  }
  return `${lines.join('\n')}\n`;
}

export function predictCommand(): Command {
  const cmd = addEngineOptions(new Command('predict'))
    .description("top-k labels of a video or an image for each head of a checkpoint (sliding windows over long videos)")
    .argument('<file>', 'a video (mp4, avi, webm, ...) or an image (jpg, png, ...)')
    .option('--checkpoint <dir>', 'checkpoint folder (config.json + weights.safetensors)', DEFAULT_CHECKPOINT)
    .option('--head <name>', "a head of the checkpoint (a dataset name), or 'all'", headsArg('--head'), 'all')
    .option('--top <k>', 'labels per head', intArg('--top', { min: 1 }), 5)
    .option('--window <seconds>', "window length (default: one training clip, numFrames x samplingRate frames)", seconds('--window'))
    .option('--stride <seconds>', 'seconds between window starts (default: the window length)', seconds('--stride'))
    .addOption(allowNonFiniteOption())
    .addOption(jsonOption())
      .addOption(quietOption())
      .addOption(verboseOption());
  cmd.addHelpText(
    'after',
    `
Examples:
  cover predict clip.mp4                                  # every head of runs/cotrain/checkpoint, top 5
  cover predict vtest.avi --checkpoint ck --head k400 --top 3
  cover predict long.mp4 --window 4 --stride 2           # overlapping 4 s windows, a timeline line each
  cover predict photo.jpg --json                          # an image is a one-frame clip`,
  );
  return cmd.action(async (file: string, o: PredictCliOptions) => {
    await assertReadableFile(file, IMAGE_EXT.test(file) ? 'image' : 'video'); // before the weights load, which can take a while
    await initBackend(engineRequest(o));
    let result: CheckpointPrediction;
    const progress = progressFor(o, 'windows');
    try {
      result = await predictWithCheckpoint(o.checkpoint, file, {
        heads: o.head === 'all' ? 'all' : o.head.split(',').map((s) => s.trim()).filter(Boolean),
        top: o.top,
        windowS: o.window,
        strideS: o.stride,
        allowNonFinite: o.allowNonfinite,
        onProgress: (done, total) => progress.update(done, total),
      });
    } finally {
      progress.end();
    }
    warnNonFinite(result.nonFiniteWeights);
    process.stdout.write(o.json ? `${JSON.stringify(result, null, 2)}\n` : renderPrediction(result));
  });
}
