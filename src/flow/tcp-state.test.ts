import t from 'tap';
import { TcpFlag } from '../decode/packet.js';
import {
  HISTORY_FLIPPED,
  TCP_ORIG,
  TCP_RESP,
  TcpEndpointState as E,
  appendHistory,
  connState,
  tcpClosing,
  tcpHistoryBits,
  tcpUpdate,
} from './tcp-state.js';

const { FIN, SYN, RST, PSH, ACK } = TcpFlag;

/** Run segments [fromOrig, flags, payloadLen] through the state machine and history like the flow store does. */
function run(segs: [boolean, number, number][], flipped = false) {
  const st = new Uint8Array(4);
  let mask = flipped ? HISTORY_FLIPPED : 0;
  let history = flipped ? '^' : '';
  let origPayload = 0;
  let respPayload = 0;
  let origPkts = 0;
  let respPkts = 0;
  for (const [o, flags, len] of segs) {
    tcpUpdate(st, 0, o, flags);
    const bits = tcpHistoryBits(o, flags, len);
    const added = bits & ~mask;
    mask |= bits;
    if (added) history = appendHistory(history, added, (flags & ACK) !== 0);
    if (o) {
      origPayload += len;
      origPkts++;
    } else {
      respPayload += len;
      respPkts++;
    }
  }
  return {
    st,
    history,
    state: connState(6, st, 0, history, origPayload, respPayload, origPkts, respPkts),
    closing: tcpClosing(st, 0),
  };
}

const O = true;
const R = false;
const HANDSHAKE: [boolean, number, number][] = [
  [O, SYN, 0],
  [R, SYN | ACK, 0],
  [O, ACK, 0],
];

t.test('normal open and close: SF with the full history', async (t) => {
  const r = run([...HANDSHAKE, [O, PSH | ACK, 100], [R, ACK, 0], [R, PSH | ACK, 200], [O, FIN | ACK, 0], [R, ACK, 0], [R, FIN | ACK, 0], [O, ACK, 0]]);
  t.equal(r.state, 'SF');
  t.equal(r.history, 'ShADadFf');
  t.equal(r.st[TCP_ORIG], E.CLOSED);
  t.equal(r.st[TCP_RESP], E.CLOSED);
  t.ok(r.closing);
});

t.test('handshake completes both endpoints: S1', async (t) => {
  const r = run([...HANDSHAKE, [O, PSH | ACK, 10]]);
  t.equal(r.st[TCP_ORIG], E.ESTABLISHED);
  t.equal(r.st[TCP_RESP], E.ESTABLISHED);
  t.equal(r.state, 'S1');
  t.notOk(r.closing);
});

t.test('one FIN is not the end: S2 / S3', async (t) => {
  const s2 = run([...HANDSHAKE, [O, FIN | ACK, 0]]);
  t.equal(s2.state, 'S2');
  t.notOk(s2.closing, 'a single FIN does not close the flow');
  t.equal(run([...HANDSHAKE, [R, FIN | ACK, 0]]).state, 'S3');
});

t.test('resets', async (t) => {
  t.equal(run([...HANDSHAKE, [O, PSH | ACK, 5], [O, RST, 0]]).state, 'RSTO');
  t.equal(run([...HANDSHAKE, [O, PSH | ACK, 5], [R, RST | ACK, 0]]).state, 'RSTR');
  const rej = run([[O, SYN, 0], [R, RST | ACK, 0]]);
  t.equal(rej.state, 'REJ');
  t.equal(rej.history, 'Sr');
  t.ok(rej.closing);
  const rstos0 = run([[O, SYN, 0], [O, RST, 0]]);
  t.equal(rstos0.state, 'RSTOS0');
  t.equal(rstos0.history, 'SR');
  // SYN-ACK first (flipped), then the SYN-ACK's sender resets
  const rstrh = run([[R, SYN | ACK, 0], [R, RST, 0]], true);
  t.equal(rstrh.state, 'RSTRH');
  t.equal(rstrh.history, '^hr');
  // FIN exchange followed by a RST from either side: the exchange is complete, Zeek keeps SF
  t.equal(run([...HANDSHAKE, [O, FIN | ACK, 0], [R, FIN | ACK, 0], [O, RST, 0]]).state, 'SF');
  t.equal(run([...HANDSHAKE, [O, FIN | ACK, 0], [R, FIN | ACK, 0], [R, RST, 0]]).state, 'SF');
  // a RST after one FIN only still aborts
  t.equal(run([...HANDSHAKE, [O, FIN | ACK, 0], [R, RST, 0]]).state, 'RSTR');
  // midstream RST without the peer ever talking
  t.equal(run([[O, ACK, 0], [O, RST, 0]]).state, 'OTH');
});

t.test('FIN then RST by one side, then the peer FIN: back to normal termination', async (t) => {
  const r = run([...HANDSHAKE, [O, FIN | ACK, 0], [O, RST, 0], [R, FIN | ACK, 0]]);
  t.equal(r.state, 'SF');
});

t.test('half-open and SYN-FIN states', async (t) => {
  t.equal(run([[O, SYN, 0]]).state, 'S0');
  t.equal(run([[O, SYN, 0], [O, SYN, 0]]).history, 'S', 'S once per direction');
  t.equal(run([[O, SYN, 0], [O, FIN, 0]]).state, 'SH');
  t.equal(run([[R, SYN | ACK, 0], [R, FIN | ACK, 0]], true).state, 'SHR');
});

t.test('midstream and simultaneous close', async (t) => {
  const mid = run([[O, PSH | ACK, 10], [R, ACK, 0]]);
  t.equal(mid.state, 'OTH');
  t.equal(mid.history, 'Da');
  const simul = run([...HANDSHAKE, [O, FIN | ACK, 0], [R, FIN | ACK, 0], [O, ACK, 0], [R, ACK, 0]]);
  t.equal(simul.state, 'SF');
  t.equal(simul.history, 'ShAFfa', 'the responder\'s first pure ACK comes after its FIN');
  // a midstream connection closed by both sides still counts as closed
  t.equal(run([[O, ACK, 5], [R, ACK, 5], [O, FIN | ACK, 0], [R, FIN | ACK, 0]]).state, 'SF');
});

t.test('multi-flag segments: Q and I', async (t) => {
  t.equal(run([[O, SYN | FIN, 0]]).history, 'Q');
  t.equal(run([[O, FIN | RST, 0]]).history, 'I');
});

t.test('non-TCP conn_state follows the UDP rule', async (t) => {
  const st = new Uint8Array(4);
  t.equal(connState(17, st, 0, '', 0, 0, 3, 0), 'S0');
  t.equal(connState(17, st, 0, '', 0, 0, 3, 1), 'SF');
  t.equal(connState(17, st, 0, '', 0, 0, 0, 2), 'SHR');
  // ICMP and other protocols: always OTH, as Zeek
  t.equal(connState(1, st, 0, '', 0, 0, 3, 1), 'OTH');
  t.equal(connState(58, st, 0, '', 0, 0, 3, 0), 'OTH');
  t.equal(connState(47, st, 0, '', 0, 0, 3, 0), 'OTH');
  t.equal(connState(17, st, 0, '', 0, 0, 0, 0), 'OTH');
});
