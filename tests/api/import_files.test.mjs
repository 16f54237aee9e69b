// import_files.test.mjs: SECURITY.md S19, an upload's decompressed size, element count
// and parse time are bounded by what a roster needs, and memory follows the rows being
// read, not the file's claims. A corpus of crafted .xlsx files, made here with jszip:
// a zip bomb sheet, a huge sharedStrings, a row of 1M cells, a row of 5,000 cells, a
// 16,384-column row, deep nesting, billion-laughs entities. Each is refused: the job
// fails with a problem (code job_failed, a Chinese detail saying why), and the server's
// peak memory grows by a bounded amount over the whole corpus.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import JSZip from 'jszip';
import { district, as, upload, waitJob } from './lib/roster_api.mjs';
import { HEADERS } from './lib/roster.mjs';

let srv, admin;
before(async () => {
  srv = await district({ orgs: 10, members: 20 });
  admin = await as(srv, 'district_admin', 1);
});
after(async () => { await srv.stop(); });

const HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"';
const header = `<row r="1">${HEADERS.map((h) => `<c t="inlineStr"><is><t>${h}</t></is></c>`).join('')}</row>`;

async function xlsx({ sheet, sst }) {
  const z = new JSZip();
  z.file('[Content_Types].xml', `${HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`);
  z.file('xl/workbook.xml', `${HEAD}<workbook ${NS} xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="a" sheetId="1" r:id="rId1"/></sheets></workbook>`);
  z.file('xl/_rels/workbook.xml.rels', `${HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.xml"/></Relationships>`);
  z.file('xl/worksheets/sheet1.xml', sheet);
  if (sst) z.file('xl/sharedStrings.xml', sst);
  return z.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 9 } });
}
const ws = (rows) => `${HEAD}<worksheet ${NS}><sheetData>${header}${rows}</sheetData></worksheet>`;

const corpus = [
  ['a zip bomb sheet (64 MiB of whitespace)', () => xlsx({ sheet: ws(' '.repeat(64 << 20)) }), /解压后过大/],
  ['a huge sharedStrings (2M empty strings)', () => xlsx({ sheet: ws(''), sst: `${HEAD}<sst ${NS} count="8000000" uniqueCount="8000000">${'<si><t/></si>'.repeat(2000000)}</sst>` }), /解压后过大|共享字符串/],
  ['a row of 1M cells', () => xlsx({ sheet: ws(`<row r="2">${'<c><v>1</v></c>'.repeat(1000000)}</row>`) }), /解压后过大|单元格过多/],
  ['a row of 5,000 cells', () => xlsx({ sheet: ws(`<row r="2">${'<c><v>1</v></c>'.repeat(5000)}</row>`) }), /单元格过多/],
  ['a 16,384-column row', () => {
    const col = (n) => { let s = ''; for (n++; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s; return s; };
    return xlsx({ sheet: ws(`<row r="2">${Array.from({ length: 16384 }, (_, i) => `<c r="${col(i)}2"><v>1</v></c>`).join('')}</row>`) });
  }, /单元格过多/],
  ['deep nesting', () => xlsx({ sheet: ws(`<row r="2"><c><v>${'<x>'.repeat(100000)}${'</x>'.repeat(100000)}</v></c></row>`) }), /嵌套过深/],
  ['billion laughs', () => {
    let ents = '<!ENTITY l0 "ha">';
    for (let i = 1; i < 10; i++) ents += `<!ENTITY l${i} "${`&l${i - 1};`.repeat(10)}">`;
    return xlsx({ sheet: `${HEAD}<!DOCTYPE worksheet [${ents}]><worksheet ${NS}><sheetData>${header}<row r="2"><c t="inlineStr"><is><t>&l9;</t></is></c></row></sheetData></worksheet>` });
  }, /DOCTYPE/],
];

const peakKiB = () => Number(readFileSync(`/proc/${srv.child.pid}/status`, 'utf8').match(/VmHWM:\s+(\d+)/)[1]);

test('S19: crafted xlsx files are refused with a clear problem, and memory stays bounded', async () => {
  const before = peakKiB();
  for (const [name, make, why] of corpus) {
    const buf = await make();
    const r = await upload(srv, admin, `/api/v1/members/import?org_id=${srv.branch(0)}&format=xlsx&dry_run=1`, buf);
    assert.equal(r.status, 202, `${name}: ${r.text}`);
    const job = await waitJob(admin, r.body.id, 120000);
    assert.equal(job.status, 'failed', `${name}: ${JSON.stringify(job).slice(0, 300)}`);
    assert.equal(job.result.code, 'job_failed', name);
    assert.equal(job.result.status, 422, name);
    assert.match(job.result.detail, why, `${name}: ${job.result.detail}`);
    console.log(`# S19 ${name} (${buf.length} bytes): ${job.result.detail}`);
  }
  const grew = (peakKiB() - before) / 1024;
  console.log(`# S19 peak memory grew by ${grew.toFixed(1)} MiB over the corpus`);
  assert.ok(grew < 96, `peak memory grew by ${grew.toFixed(1)} MiB`);
});
