/**
 * The signature table: one stable rule per alert kind, in the documented id range, with Suricata's
 * classification text; docs/signatures.md is its rendering.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { ALERT_KINDS } from './alert.js';
import { SIGNATURE_GID, SIGNATURE_ID_RANGE, SIGNATURES } from './signatures.js';
import { renderSignaturesMarkdown } from './signatures-doc.js';

t.test('every kind has its own signature id in the range, a rev and fixed text', async (t) => {
  const ids = ALERT_KINDS.map((k) => SIGNATURES[k].signatureId);
  t.equal(new Set(ids).size, ALERT_KINDS.length, 'ids are unique');
  t.ok(ids.every((id) => Number.isInteger(id) && id >= SIGNATURE_ID_RANGE.first && id <= SIGNATURE_ID_RANGE.last), 'ids are in the range');
  t.equal(SIGNATURE_GID, 1, "Suricata's generator id of rule alerts");
  t.equal(Object.keys(SIGNATURES).length, ALERT_KINDS.length, 'no entry for a kind that does not exist');
  for (const k of ALERT_KINDS) {
    const s = SIGNATURES[k];
    t.ok(s.rev >= 1, `${k}: rev`);
    t.match(s.signature, /^ARGUS [A-Z0-9]+ \S/, `${k}: a msg in the usual "VENDOR CATEGORY text" form`);
    t.notMatch(s.signature, /\d{2,}|\d+\.\d+/, `${k}: no counts or addresses in the signature`);
    t.ok(s.category.length > 0 && s.classtype.length > 0, `${k}: a classification`);
  }
  t.equal(new Set(ALERT_KINDS.map((k) => SIGNATURES[k].signature)).size, ALERT_KINDS.length, 'signatures tell the kinds apart');
});

t.test('docs/signatures.md is the rendering of the table', async (t) => {
  const committed = readFileSync(new URL('../../docs/signatures.md', import.meta.url), 'utf8');
  t.equal(committed, renderSignaturesMarkdown(), 'docs/signatures.md is regenerated from the table (npm run docs:signatures)');
  for (const k of ALERT_KINDS) t.match(committed, `| ${SIGNATURES[k].signatureId} |`, `${k} is listed`);
});
