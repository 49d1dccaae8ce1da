// study.html: the study's tables as one self-contained page (inline CSS; no script, no network), every text from the
// study HTML-escaped, like the run report (report/html_report.ts).

import { escapeHtml } from '../report/html_report';
import { StudyResult } from './summary';
import { studyTables } from './tables';

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}p.note{color:#555;margin:.2em 0}`;

export function renderStudyHtml(r: StudyResult): string {
  const e = escapeHtml;
  const title = `cover study: ${r.spec.videos.join(', ')} + images ${r.spec.images.join(', ')}`;
  const sections = studyTables(r).map((t) => {
    const head = t.head.some((h) => h !== '') ? `<tr>${t.head.map((h) => `<th>${e(h)}</th>`).join('')}</tr>` : '';
    const rows = t.rows.map((row) => `<tr>${row.map((c) => `<td${/^[+-]?[\d.]+( ±| \[| \(|$)/.test(c) ? ' class="num"' : ''}>${e(c)}</td>`).join('')}</tr>`).join('\n');
    return `<h2>${e(t.title)}</h2>\n${t.notes.map((n) => `<p class="note">${e(n)}</p>`).join('\n')}\n<table>\n${head}\n${rows}\n</table>`;
  });
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${e(title)}</title><style>${CSS}</style></head>\n<body>\n<h1>${e(title)}</h1>\n${sections.join('\n')}\n</body></html>\n`;
}
