import t from 'tap';
import { anomalyEvidenceText, anomalySignature, parseAnomalyEvidence, parseAnomalySignature } from './anomaly.js';

t.test('the anomaly alert text reads back as what was written', async (t) => {
  const ev = { score: 0.99972, threshold: 0.999, models: [{ name: 'autoencoder', raw: 3.1, calibrated: 0.99972 }, { name: 'isolation-forest', raw: 0.6, calibrated: 0.902 }], modelId: 'default@2026-01-14T09:58:20.111Z' };
  const text = anomalyEvidenceText(ev);
  t.equal(text, 'anomaly score 1.000 ≥ threshold 0.999 (autoencoder 1.000, isolation-forest 0.902); model default@2026-01-14T09:58:20.111Z');
  t.same(parseAnomalyEvidence(text), { score: '1.000', threshold: '0.999', models: 'autoencoder 1.000, isolation-forest 0.902', modelId: 'default@2026-01-14T09:58:20.111Z' });
  const title = anomalySignature('TCP', '192.168.1.30:40000', '[fd00::1]:443', 0.9991);
  t.equal(title, 'Unusual TCP flow 192.168.1.30:40000 → [fd00::1]:443 (score 0.999)');
  t.same(parseAnomalySignature(title), { about: 'Unusual TCP flow 192.168.1.30:40000 → [fd00::1]:443', score: '0.999' });
  t.equal(parseAnomalyEvidence('5 SYNs to 100 ports of 10.0.0.1'), null, 'a detector line is not the model text');
  t.equal(parseAnomalySignature('Port scan of 10.0.0.1 (100 ports)'), null);
});
