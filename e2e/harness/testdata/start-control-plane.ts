// Starts a control plane, prints {dir, pids} as one JSON line, then either exits without calling
// stop() (argv[2] = 'exit') or waits to be killed (argv[2] = 'wait'). Used by the harness's own tests.
import { ControlPlane } from '../controlplane.ts';

const cp = await ControlPlane.start({ installCRDs: false });
process.stdout.write(JSON.stringify({ dir: cp.dir, pids: cp.pids }) + '\n');
if (process.argv[2] === 'exit') process.exit(3);
setInterval(() => {}, 1 << 30);
