/**
 * Writes config.yaml from the schema in src/config/schema.ts: every key with its default and its documentation.
 * Run after changing the schema:  npx tsx scripts/config-yaml.ts > config.yaml
 * (test/config.test.ts fails while the committed file differs from this output).
 */
import { renderConfigYaml } from '../src/config/render.js';

process.stdout.write(renderConfigYaml());
