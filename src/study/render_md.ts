// study.md (and the terminal's summary): the study's tables as GitHub markdown, which also reads as plain text.

import { StudyResult } from './summary';
import { TextTable, studyTables } from './tables';

/** `|` inside a cell would end it. */
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function markdownTable(t: TextTable): string {
  const lines = [`## ${t.title}`, ''];
  for (const n of t.notes) lines.push(n, '');
  lines.push(`| ${t.head.map(cell).join(' | ')} |`, `|${t.head.map(() => '---').join('|')}|`);
  for (const r of t.rows) lines.push(`| ${r.map(cell).join(' | ')} |`);
  return lines.join('\n');
}

export function renderStudyMarkdown(r: StudyResult, opts: { only?: string[] } = {}): string {
  const tables = studyTables(r).filter((t) => !opts.only || opts.only.some((o) => t.title.startsWith(o)));
  const title = `# cover study: ${r.spec.videos.join(', ')} + images ${r.spec.images.join(', ')}`;
  return `${[title, ...tables.map(markdownTable)].join('\n\n')}\n`;
}
