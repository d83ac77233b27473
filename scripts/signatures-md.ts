/**
 * Writes docs/signatures.md from the signature table in src/detectors/signatures.ts.
 * Run after changing the table:  npm run docs:signatures
 * (src/detectors/signatures.test.ts fails while the committed file differs from this output).
 */
import { renderSignaturesMarkdown } from '../src/detectors/signatures-doc.js';

process.stdout.write(renderSignaturesMarkdown());
