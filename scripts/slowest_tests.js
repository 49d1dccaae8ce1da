#!/usr/bin/env node
// The ten slowest test files of a jest run, from the results file of `jest --json --outputFile=FILE` (.ci/run prints
// them after the tests): seconds, then the file relative to the repository. Usage: node scripts/slowest_tests.js FILE [N]
'use strict';
const fs = require('fs');
const path = require('path');

const [file, count = '10'] = process.argv.slice(2);
let results;
try {
  results = JSON.parse(fs.readFileSync(file, 'utf8'));
} catch {
  process.exit(0); // jest did not run (the build, tsc or lint failed first): nothing to rank
}
const root = path.resolve(__dirname, '..');
const rows = (results.testResults || [])
  .map((r) => {
    // jest's JSON has startTime/endTime per file (ms since the epoch); perfStats where a reporter kept the raw result.
    const t = r.perfStats || r;
    return { name: path.relative(root, r.name || r.testFilePath || '?'), s: (t.end ?? t.endTime) - (t.start ?? t.startTime) };
  })
  .filter((r) => Number.isFinite(r.s))
  .sort((a, b) => b.s - a.s)
  .slice(0, Number(count));
if (rows.length === 0) process.exit(0);
console.log(`slowest ${rows.length} test files:`);
for (const r of rows) console.log(`${(r.s / 1000).toFixed(1).padStart(7)} s  ${r.name}`);
