/**
 * Every alert kind reads as words on the dashboard: a human name and a sentence of its own, never the raw code
 * or the generic fallback that a kind unknown to this build gets.
 */
import t from 'tap';
import { ALERT_KINDS } from '../src/detectors/alert.js';
import { incidentSentence, kindName } from '../src/web/views/incident.js';
import type { IncidentRow } from '../src/store/incidents.js';

t.test('each kind has a name and its own sentence', async (t) => {
  for (const kind of ALERT_KINDS) {
    t.not(kindName(kind), kind, `${kind} has a human name`);
    const row = { kind, target: '10.99.0.7', targets: ['10.99.0.7'] } as unknown as IncidentRow;
    t.notMatch(incidentSentence(row), /^raised /, `${kind} has its own sentence`);
  }
  t.equal(kindName('some.future.kind'), 'some.future.kind', 'a stored kind this build does not know shows its code');
  t.match(incidentSentence({ kind: 'some.future.kind', target: '*', targets: ['a', 'b'] } as unknown as IncidentRow), /raised some\.future\.kind alerts about 2 hosts/);
});
