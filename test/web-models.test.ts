/**
 * The Models page in words, on the real model manager: the bundled model, then two trainings on this network's
 * stored flows, what changed between them, a roll back to the first, and raw details bounded in size.
 */
import t from 'tap';
import { initTf } from '../src/models/tf-backend.js';
import { buildWebDeps, WebClient } from './support/web-deps.js';
import { createUser } from './support/web-seed.js';
import { syntheticBenign } from './support/flow-records.js';
import { webApp } from '../src/web/server.js';
import { MODEL_JARGON, readerWords } from './support/model-words.js';

const PASSWORD = 'correct horse battery';

t.test('models page: state in words, what changed, retrain confirmation, roll back', { timeout: 240_000 }, async (t) => {
  let nowUs = 1_700_000_000_000_000;
  const web = buildWebDeps({ nowUs: () => nowUs });
  t.teardown(() => web.close());
  await createUser(web.store, 'admin', PASSWORD, 'admin');
  const admin = new WebClient(webApp(web.deps, { log: () => {} }));
  t.equal((await admin.login('admin', PASSWORD)).status, 303);
  await initTf(() => {});
  await web.models.start(); // the bundled model
  const addFlows = (seed: number, fromUs: number) => {
    const flows = syntheticBenign(300, seed, fromUs);
    for (const f of flows) web.store.addFlow(f);
    web.store.flush();
    nowUs = flows[flows.length - 1]!.endUs;
  };

  let page = await (await admin.request('/models')).text();
  t.match(page, /Using the <b>default[^<]*<\/b> model that ships with Argus Edge/, 'says the bundled model scores');
  t.match(page, /about one normal flow in [\d,]+ raises an alert <code class="small muted" title="[^"]+">threshold \d\.\d{3}<\/code>/, 'and what its threshold means, the figure as a small code');
  t.match(page, /id="model-threshold"><b>When it alerts:<\/b> <span class="badge [^"]+">bundled<\/span> set by the bundled model\. <code class="small muted" title="[^"]+">threshold \d\.\d{6}<\/code>/, 'the threshold in force and its source');
  t.match(page, /(It tunes itself to this network once it has seen [\d,]+ of its most unusual flows|It does not tune itself to this network)/, 'and how far its tuning has come');
  const words = (p: string) => `${readerWords(p, 'model-state')} ${readerWords(p, 'model-changes')}`;
  t.notMatch(words(page), MODEL_JARGON, `the state in words, without jargon (${MODEL_JARGON.exec(words(page))?.[0]})`);
  t.match(page, /No model of this network yet: nothing has been retrained/);
  t.match(page, /What it learns from:<\/b> the flows stored over the last 24 h of packet time/, 'the retrain confirmation says what it learns from');
  t.match(page, /What it leaves out:<\/b> flows older than that period/, 'and what it leaves out');
  t.notMatch(page, /action="\/models\/rollback"/, 'no roll back without an earlier model');
  t.ok(page.length < 30_000, `the page is ${page.length} characters, not megabytes of JSON`);
  t.notMatch(page, /"history": \[\s*\{/, 'the loss history is summarised, not printed');
  t.match(page, /<details class="card raw" id="model-raw"><summary>Raw details/, 'raw details behind a disclosure');

  addFlows(11, 1_700_000_000_000_000);
  t.equal((await admin.request('/models/retrain', { method: 'POST' })).status, 303);
  await web.models.pending;
  t.equal(web.models.lastError, null, 'the first training finished');
  const first = web.store.registry.activeModel()!;
  page = await (await admin.request('/models')).text();
  t.match(page, /Trained on this network on <b>[\d-]+ [\d:]+<\/b> UTC, from <b>[\d,]+ flows<\/b>/, 'says it was trained on this network, when and from how much');
  t.match(page, /The first model of this network/, 'the first retrain is described as such');
  t.notMatch(words(page), MODEL_JARGON, `trained: no jargon (${MODEL_JARGON.exec(words(page))?.[0]})`);

  addFlows(12, nowUs + 3_600_000_000);
  t.equal((await admin.request('/models/retrain', { method: 'POST' })).status, 303);
  await web.models.pending;
  const second = web.store.registry.activeModel()!;
  t.not(second.id, first.id, 'a second model of this network');
  page = await (await admin.request('/models')).text();
  t.match(page, /Retrained on [\d-]+ [\d:]+ UTC, replacing the model of [\d-]+ [\d:]+ UTC/, 'what changed at the last retrain');
  t.match(page, /Learnt from <b>[\d,]+<\/b> flows \(the previous model: [\d,]+\)/);
  t.match(page, /(Alerts <b>(less|more) often<\/b>: a flow must now look|Alerts as often as before)/, 'how the alerts change, in words');
  t.match(page, />threshold [\d.]+( → [\d.]+)?<\/code>/, 'the thresholds as a small code');
  t.notMatch(words(page), MODEL_JARGON, `retrained: no jargon (${MODEL_JARGON.exec(words(page))?.[0]})`);
  t.notMatch(words(page), /\d\.\d{3,}/, 'no raw figure outside a small code');
  t.match(page, /action="\/models\/rollback"/, 'a roll back is offered');

  const r = await admin.request('/models/rollback', { method: 'POST' });
  t.equal(r.status, 303);
  t.equal(r.headers.get('location'), '/models?done=rolled-back');
  t.equal(web.store.registry.activeModel()!.id, first.id, 'the registry has the first model active again');
  t.equal(web.models.model!.id, first.id, 'and the manager scores with it');
  t.match(web.store.actions.auditLog({ actionPrefix: 'model.rollback' })[0], { actor: 'admin', target: first.id, detail: { from: second.id } });
  t.match(await (await admin.request('/models?done=rolled-back')).text(), /Switched back to the previous model/);
  const again = await admin.request('/models/rollback', { method: 'POST' });
  t.equal(again.status, 303, 'rolling back past the first model is refused with a redirect');
  t.match(await (await admin.request('/models')).text(), /flash-error" role="alert">no earlier model of this network/, 'which says why');
});
