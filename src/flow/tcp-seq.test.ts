import t from 'tap';
import { TcpFlag } from '../decode/packet.js';
import { TCP_STATE_WIDTH } from './tcp-state.js';
import { TCP_SEQ_WIDTH, tcpSegment, tcpSeqFlip, type TcpSegment } from './tcp-seq.js';

const { SYN, ACK, PSH, FIN, RST } = TcpFlag;

/** One flow's state driven segment by segment: [fromOrig, flags, seq, ack, len, window?, captured?] */
class Conn {
  readonly st = new Uint8Array(TCP_STATE_WIDTH);
  readonly sq = new Uint32Array(TCP_SEQ_WIDTH);
  readonly hist = new Uint32Array(1);
  history = '';
  private readonly s: TcpSegment = { flags: 0, seq: 0, ack: 0, window: 0, len: 0, captured: 0 };

  seg(fromOrig: boolean, flags: number, seq: number, ack: number, len = 0, window = 65535, captured = len): this {
    Object.assign(this.s, { flags, seq: seq >>> 0, ack: ack >>> 0, window, len, captured });
    this.history = tcpSegment(this.st, 0, this.sq, 0, fromOrig, this.s, this.history, this.hist, 0);
    return this;
  }
}

const O = true;
const R = false;

/** handshake with the client's ISN `c` and the server's `s` */
function open(c: number, s: number): Conn {
  return new Conn().seg(O, SYN, c, 0).seg(R, SYN | ACK, s, c + 1).seg(O, ACK, c + 1, s + 1);
}

t.test('retransmission letters at the 1st, 10th and 100th occurrence', async (t) => {
  const k = open(100, 900).seg(O, PSH | ACK, 101, 901, 10);
  for (let i = 0; i < 100; i++) k.seg(O, PSH | ACK, 101, 901, 10);
  t.equal(k.history, 'ShADTTT');
  // the 101st to 999th add nothing
  for (let i = 0; i < 50; i++) k.seg(O, PSH | ACK, 101, 901, 10);
  t.equal(k.history, 'ShADTTT');
});

t.test('sequence numbers that wrap past 2^32 are not retransmissions', async (t) => {
  const isn = 0xffffff00;
  const k = open(isn, 7);
  let seq = isn + 1;
  for (let i = 0; i < 4; i++) {
    k.seg(O, PSH | ACK, seq, 8, 100);
    seq += 100;
    k.seg(R, ACK, 8, seq);
  }
  t.equal(k.history, 'ShADa', 'no T, no gap across the wrap');
});

t.test('a pure retransmitted FIN or SYN is not a T, nor a second letter', async (t) => {
  const k = new Conn().seg(O, SYN, 10, 0).seg(O, SYN, 10, 0).seg(R, SYN | ACK, 50, 11).seg(O, ACK, 11, 51);
  k.seg(O, FIN | ACK, 11, 51).seg(O, FIN | ACK, 11, 51);
  t.equal(k.history, 'ShAF');
});

t.test('a RST at a new sequence number is logged again', async (t) => {
  const k = open(10, 50).seg(R, RST, 51, 0).seg(R, RST, 51, 0).seg(R, RST, 1051, 0);
  t.equal(k.history, 'ShArr');
});

t.test('a zero window after the peer closed is not a W', async (t) => {
  const k = open(10, 50).seg(R, FIN | ACK, 51, 11).seg(O, ACK, 11, 52, 0, 0);
  t.equal(k.history, 'ShAf');
  const k2 = open(10, 50).seg(O, ACK, 11, 51, 0, 0);
  t.equal(k2.history, 'ShAW');
});

t.test('a hole filled before the acknowledgement is no gap; one left open is', async (t) => {
  const filled = open(10, 50).seg(O, PSH | ACK, 111, 51, 100).seg(O, PSH | ACK, 11, 51, 100).seg(R, ACK, 51, 211);
  t.equal(filled.history, 'ShADTa', 'the late segment behind a later one counts as a retransmission (Zeek), no gap');
  const open1 = open(10, 50).seg(O, PSH | ACK, 111, 51, 100).seg(R, ACK, 51, 211);
  t.equal(open1.history, 'ShADaG');
});

t.test('a flip swaps the endpoints’ sequence state', async (t) => {
  const k = open(10, 50).seg(O, PSH | ACK, 11, 51, 5);
  const before = Array.from(k.sq);
  tcpSeqFlip(k.sq, 0);
  tcpSeqFlip(k.sq, 0);
  const half = (TCP_SEQ_WIDTH - 1) / 2;
  t.same(Array.from(k.sq).slice(0, 2 * half), before.slice(0, 2 * half), 'two flips restore the endpoints');
});
