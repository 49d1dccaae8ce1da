// The report page: self-contained (nothing loaded from a network), one SVG per chart, every run-supplied text escaped,
// balanced markup, and bounded size on long logs and many classes.

import { escapeHtml, renderReport, ReportLogEntry, ReportRun } from '../../src/report/html_report';

const VOID = new Set(['meta', 'br', 'hr', 'img', 'input', 'link', 'col', 'source', 'wbr']);

/** Checks that every non-void element is closed in order; returns the element counts. */
function checkBalanced(html: string): Record<string, number> {
  const stripped = html.replace(/<style>[\s\S]*?<\/style>/g, '').replace(/<!doctype html>/i, '');
  const stack: string[] = [];
  const counts: Record<string, number> = {};
  for (const m of stripped.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)([^<>]*)>/g)) {
    const [, close, name, rest] = m;
    if (close) {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}>`);
    } else {
      counts[name] = (counts[name] ?? 0) + 1;
      if (!VOID.has(name) && !rest.endsWith('/')) stack.push(name);
    }
  }
  if (stack.length) throw new Error(`unclosed: ${stack.join(', ')}`);
  // No stray angle brackets outside tags: text with < or > would have been escaped.
  expect(stripped.replace(/<\/?[a-zA-Z][^<>]*>/g, '')).not.toMatch(/[<>]/);
  return counts;
}

function makeLog(steps: number, heads: string[], evalEvery: number): ReportLogEntry[] {
  return Array.from({ length: steps }, (_, s) => {
    const perHead: Record<string, number> = {};
    heads.forEach((h, i) => (perHead[h] = 3 - s / steps + 0.1 * i + 0.05 * Math.sin(s)));
    const entry: ReportLogEntry = { step: s, loss: 3 - s / steps, perHead, lr: 0.005 * Math.min(1, s / 5) };
    if (s % evalEvery === evalEvery - 1) {
      entry.evals = Object.fromEntries(heads.map((h) => [h, { top1: s / steps / 2, top5: s / steps }]));
    }
    return entry;
  });
}

const NASTY = '<script>alert("x")</script>';

function baseRun(): ReportRun {
  return {
    title: 'co-train k400 + "ssv2" <tiny>',
    config: { model: { depth: 2, embedDim: 32 }, train: { lr: 0.005, steps: [0.733, 0.933], note: '<b>bold</b>' }, heads: ['k400', 'ssv2'] },
    heads: ['k400', NASTY],
    log: makeLog(30, ['k400', NASTY], 10),
    confusion: {
      k400: { labels: ['abseiling', NASTY, "it's, quoted"], matrix: [[5, 1, 0], [2, 3, 0], [0, 0, 4]] },
    },
  };
}

describe('renderReport', () => {
  test('one self-contained, escaped, balanced page with one SVG per chart', () => {
    const html = renderReport(baseRun());
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script|src=|href=|@import|url\(/i);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('<title>co-train k400 + &quot;ssv2&quot; &lt;tiny&gt;</title>');
    const counts = checkBalanced(html);
    expect(counts.svg).toBe(3); // loss, accuracy, lr
    // loss: batch and 2 heads, each raw + smoothed (30 points > 20); accuracy: top-1 and top-5 of 2 heads; lr: 1
    expect(counts.polyline).toBe(6 + 4 + 1);
    expect(counts.table).toBe(3); // summary, confusion, config
    expect(html).not.toMatch(/NaN|Infinity/);
  });

  test('confusion matrix: every cell, shaded by the share of its row, labels escaped in cells and tooltips', () => {
    const html = renderReport(baseRun());
    const table = /<table class="confusion">[\s\S]*?<\/table>/.exec(html)![0];
    expect(table.match(/<td/g)).toHaveLength(9);
    expect(table).toContain('<td class="diag dark" style="background:rgba(31,119,180,0.833)" title="true abseiling, predicted abseiling: 5 (83.3% of the row)">5</td>');
    expect(table).toContain('<td style="background:rgba(31,119,180,0.400)"');
    expect(table).toContain('title="true it&#39;s, quoted, predicted abseiling: 0 (0.0% of the row)"');
    expect(table).toContain('<th>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</th>');
  });

  test('config as flattened key/value rows; summary with last and best evaluation', () => {
    const html = renderReport(baseRun());
    expect(html).toContain('<tr><th>model.depth</th><td>2</td></tr>');
    expect(html).toContain('<tr><th>train.steps</th><td>[0.733,0.933]</td></tr>');
    expect(html).toContain('<tr><th>train.note</th><td>&lt;b&gt;bold&lt;/b&gt;</td></tr>');
    expect(html).toContain('<tr><th>heads</th><td>[&quot;k400&quot;,&quot;ssv2&quot;]</td></tr>');
    // evals at steps 9, 19, 29: top-1 = s / 60, top-5 = s / 30
    expect(html).toContain('<td>48.3%</td><td>96.7%</td><td>48.3% (step 29)</td>');
    expect(html).toContain('Steps logged: 30, last step 29, batch loss 2.033, lr 0.005.');
  });

  test('without evaluations there is no accuracy chart, and a note says so', () => {
    const run = baseRun();
    run.log.forEach((e) => delete e.evals);
    delete run.confusion;
    const html = renderReport(run);
    expect(checkBalanced(html).svg).toBe(2);
    expect(html).toContain('No evaluation in this log.');
    expect(html).not.toContain('Confusion matrices');
  });

  test('long logs are bucketed, many classes trimmed to the most confused', () => {
    const C = 60;
    const matrix = Array.from({ length: C }, (_, i) => Array.from({ length: C }, (_, j): number => (i === j ? 10 : 0)));
    matrix[50][7] = 9; // the two most confused classes must be shown
    const run: ReportRun = {
      title: 'long',
      config: {},
      heads: ['k400'],
      log: makeLog(5000, ['k400'], 500),
      confusion: { k400: { labels: Array.from({ length: C }, (_, i) => `class_${i}`), matrix } },
    };
    const html = renderReport(run, { maxPoints: 100, maxConfusionClasses: 12 });
    for (const m of html.matchAll(/points="([^"]*)"/g)) expect(m[1].split(' ').length).toBeLessThanOrEqual(100);
    expect(html).toContain('Showing the 12 of 60 classes with the most errors');
    const table = /<table class="confusion">[\s\S]*?<\/table>/.exec(html)![0];
    expect(table.match(/<td/g)).toHaveLength(144);
    expect(table).toContain('<th>class_50</th>');
    expect(table).toContain('<span>class_7</span>');
    expect(html.length).toBeLessThan(200_000);
    checkBalanced(html);
  });

  test('a diverged run: non-finite losses are reported and skipped in the curves', () => {
    const run = baseRun();
    run.log[12].loss = NaN;
    run.log[12].perHead.k400 = Infinity;
    const html = renderReport(run);
    expect(html).toContain('1 logged step had a non-finite loss (first at step 12).');
    expect(html).not.toMatch(/NaN|Infinity/);
    checkBalanced(html);
  });

  test('an empty log still renders', () => {
    const html = renderReport({ title: 't', config: { a: 1 }, heads: ['k400'], log: [] });
    expect(checkBalanced(html).svg).toBeUndefined();
    expect(html).toContain('The training log is empty.');
  });
});

test('escapeHtml', () => {
  expect(escapeHtml(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
});
