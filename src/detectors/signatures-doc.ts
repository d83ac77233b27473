/**
 * docs/signatures.md, rendered from the signature table (signatures.ts): `npm run docs:signatures`.
 * src/detectors/signatures.test.ts fails while the committed file differs from this output.
 */
import { ALERT_KINDS } from './alert.js';
import { SIGNATURE_GID, SIGNATURE_ID_RANGE, SIGNATURES } from './signatures.js';

export function renderSignaturesMarkdown(): string {
  const rows = ALERT_KINDS.map((kind) => ({ kind, s: SIGNATURES[kind] }))
    .sort((a, b) => a.s.signatureId - b.s.signatureId)
    .map(({ s, kind }) => `| ${s.signatureId} | ${s.rev} | \`${kind}\` | ${s.signature} | ${s.category} (\`${s.classtype}\`) |`);
  return `# Alert signatures

<!-- Rendered from src/detectors/signatures.ts by \`npm run docs:signatures\`; do not edit by hand. -->

Every EVE \`alert\` line is an alert of one rule per detector kind, the way a Suricata rule's alerts are:
\`alert.gid\` ${SIGNATURE_GID}, \`alert.signature_id\` and \`alert.rev\` from the table below, \`alert.signature\` a fixed
text (no addresses or counts), \`alert.category\` the text of a classtype in Suricata's \`classification.config\`,
\`alert.severity\` 1–3 as Suricata means it (1 high) from the incident's severity (low 3, medium 2, high and
critical 1), and \`alert.action\` \`blocked\` when the firewall enforces a quarantine of the source (or a block of
the source or a target) at the time of the line, else \`allowed\`. The kind is \`alert.metadata.argus_kind\`
(with \`argus_change\`: open, escalate or close, and \`argus_target\`), each a list of strings as Suricata writes
rule metadata; the incident's sentence, count, evidence and flows are under \`argus\`. \`flow_id\` and
\`community_id\` name the first flow of the incident's evidence, so the alert joins its flow lines (absent when
the detector works on packets rather than flows: DNS tunnels, ARP); \`argus.flow_ids\` and
\`argus.community_ids\` list all the evidence names.

Signature ids are ${SIGNATURE_ID_RANGE.first.toLocaleString('en')}–${SIGNATURE_ID_RANGE.last.toLocaleString('en')}: inside the range the SID conventions
keep for local rules (1,000,000–1,999,999), which no published ruleset uses (Talos below 1,000,000, Emerging
Threats from 2,000,000), and high in it, away from the 1,000,001… a site numbers its own local rules from. The
hundreds group families: 1xx scans, 2xx brute force, 3xx denial of service, 4xx DNS, 5xx command and control
and exfiltration, 6xx ARP, 7xx intelligence and decoys, 9xx the anomaly models. An id never changes meaning;
\`rev\` rises when a detector's meaning changes.

| signature_id | rev | kind | signature | category (classtype) |
| --- | --- | --- | --- | --- |
${rows.join('\n')}
`;
}
