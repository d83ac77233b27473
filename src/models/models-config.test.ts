import t from 'tap';
import { DEFAULT_MODELS_CONFIG, modelsConfig, modelsConfigProblems } from './models-config.js';

t.test('defaults are valid; overrides merge one level deep; bad values are named', async (t) => {
  t.same(modelsConfigProblems(DEFAULT_MODELS_CONFIG), []);
  const c = modelsConfig({ threshold: 0.99, forest: { trees: 200 } });
  t.equal(c.threshold, 0.99);
  t.equal(c.forest.trees, 200);
  t.equal(c.forest.sampleSize, 256, 'untouched nested keys keep their defaults');
  t.same(c.autoencoder, DEFAULT_MODELS_CONFIG.autoencoder);
  const bad = modelsConfigProblems(modelsConfig({ threshold: 1.5, autoencoder: { hidden: [0], activation: 'relu6' as 'relu' }, forest: { trees: 0 } }));
  t.same(bad, [
    'models.threshold must be a quantile between 0 and 1 (e.g. 0.999)',
    'models.autoencoder.hidden must be a list of layer widths ≥ 1',
    "models.autoencoder.activation must be 'relu', 'elu' or 'tanh'",
    'models.forest.trees must be an integer ≥ 1 (100 or more recommended)',
  ]);
});
