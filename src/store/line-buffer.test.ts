import t from 'tap';
import { LineBuffer } from './line-buffer.js';

t.test('FIFO, oldest dropped and counted when full', async (t) => {
  const b = new LineBuffer(3);
  for (const l of ['a', 'b', 'c', 'd', 'e']) b.push(l);
  t.equal(b.size, 3);
  t.equal(b.dropped, 2);
  t.same(b.take(2), ['c', 'd']);
  b.push('f');
  t.same(b.take(10), ['e', 'f']);
  t.equal(b.size, 0);
  t.same(b.take(1), []);
});

t.test('putBack returns a failed batch to the front; without room its oldest lines go', async (t) => {
  const b = new LineBuffer(4);
  for (const l of ['a', 'b', 'c']) b.push(l);
  const batch = b.take(3);
  b.push('d');
  b.push('e');
  b.putBack(batch); // room for two of three: 'a' is dropped
  t.equal(b.dropped, 1);
  t.same(b.take(4), ['b', 'c', 'd', 'e']);
  t.throws(() => new LineBuffer(0));
});
