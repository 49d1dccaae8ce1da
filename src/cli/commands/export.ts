// `cover export CKPT --format hf|timesformer [--head NAME] --out DIR [--overwrite] [--allow-nonfinite] [--json]`: one
// dataset head of a checkpoint as a Hugging Face TimesformerForVideoClassification folder or the reference TimeSformer's
// state_dict.

import { Command, Option } from 'commander';
import { EXPORT_FORMATS, ExportFormat } from '../../export/export_keys';
import { ExportResult, exportCheckpoint } from '../../export/export';
import { allowNonFiniteOption, jsonOption, warnNonFinite } from '../options';
import { nameArg } from '../parse';

interface ExportCliOptions {
  format: ExportFormat;
  head?: string;
  out: string;
  overwrite?: boolean;
  allowNonfinite?: boolean;
  json?: boolean;
}

const WHAT: Record<ExportFormat, string> = {
  hf: 'a Hugging Face TimesformerForVideoClassification folder',
  timesformer: "the reference TimeSformer's VisionTransformer state_dict",
};

export function renderExport(r: ExportResult): string {
  const lines = [
    `exported head ${r.head} (${r.numClasses} classes) of ${r.checkpoint} as ${WHAT[r.format]}: ${r.out}`,
    `  ${r.files.join(', ')} (${r.tensors} tensors, ${r.params.toLocaleString('en-US')} parameters)`,
    ...r.notes.map((n) => `note: ${n}`),
    `load: ${r.load}`,
  ];
  return `${lines.join('\n')}\n`;
}

export function exportCommand(): Command {
  return new Command('export')
    .description('write one head of a checkpoint as a Hugging Face TimeSformer folder (hf) or the reference TimeSformer state_dict (timesformer)')
    .argument('<checkpoint>', 'a checkpoint folder (config.json + weights.safetensors)')
    .addOption(new Option('--format <format>', 'hf: config.json + model.safetensors; timesformer: model.pth + model.safetensors + config.json').choices(EXPORT_FORMATS as unknown as string[]).makeOptionMandatory())
    .addOption(new Option('--head <name>', 'the dataset head that becomes the classifier (default: the only one)').argParser(nameArg('--head')))
    .addOption(new Option('--out <dir>', 'folder to write (new or empty)').makeOptionMandatory())
    .option('--overwrite', 'replace an earlier export in --out (its own files only)')
    .addOption(allowNonFiniteOption())
    .addOption(jsonOption())
    .action((ckpt: string, o: ExportCliOptions) => {
      const r = exportCheckpoint(ckpt, { format: o.format, head: o.head, out: o.out, overwrite: o.overwrite, allowNonFinite: o.allowNonfinite });
      warnNonFinite(r.nonFiniteWeights);
      process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : renderExport(r));
    });
}
