/**
 * A real descriptor shortage in this test process: opens /dev/null until the kernel answers
 * EMFILE, so the next spawn() fails exactly as it does on a host that ran out of descriptors.
 * Call the returned release() right after the operation under test (before any await).
 */
import { closeSync, openSync } from 'node:fs';

export function exhaustDescriptors(max = 1_100_000): () => void {
  const fds: number[] = [];
  try {
    while (fds.length < max) fds.push(openSync('/dev/null', 'r'));
    throw new Error(`opened ${max} descriptors without reaching EMFILE`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EMFILE') {
      for (const fd of fds) closeSync(fd);
      throw err;
    }
  }
  return () => {
    for (const fd of fds.splice(0)) closeSync(fd);
  };
}
