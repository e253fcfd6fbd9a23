/** fauxqs (SQS + SNS) in its own process, so the load generator and the servers under test do not share its event loop. */
import { startSqsEmulator } from '../../local/emulators';

const emulator = await startSqsEmulator();
process.send?.({ endpoint: emulator.endpoint });
const stop = () => void emulator.stop().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);
