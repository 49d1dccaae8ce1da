// One name per setting from the command line to the checkpoint: every run setting's option is `--<its name in
// kebab-case>`, commander hands it over under the setting's own name, and that name is the RunConfig field saved in a
// checkpoint. A saved run of the old names (warmupSteps, evalViews, memoryCacheMiB) is read under the new ones.
import { buildProgram } from '../../src/cli/index';
import { RUN_FLAGS, RunConfig, RunSettings, savedRunConfig } from '../../src/run/run_config';

test.each(['pretrain', 'cotrain', 'transfer', 'study'])('cover %s: each run setting is the option of the same name', (name) => {
  const cmd = buildProgram().commands.find((c) => c.name() === name)!;
  const byAttribute = new Map<string, (string | undefined)[]>();
  for (const o of cmd.options) byAttribute.set(o.attributeName(), [...(byAttribute.get(o.attributeName()) ?? []), o.long]); // --decay-all and --no-decay-all share one
  for (const [key, flag] of Object.entries(RUN_FLAGS) as [keyof RunSettings, string][]) {
    expect([key, flag]).toEqual([key, `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`]);
    expect([key, byAttribute.get(key)]).toEqual([key, expect.arrayContaining([flag])]);
  }
});

test('a run saved under the old setting names is read under the new ones', () => {
  const old = { warmupSteps: 50, evalViews: '1x3', memoryCacheMiB: 2048, lr: 1e-3, overrides: ['steps', 'evalViews'] } as unknown as RunConfig;
  expect(savedRunConfig(old)).toEqual({ warmup: 50, views: '1x3', memoryCache: 2048, lr: 1e-3, overrides: ['steps', 'views'] });
});
