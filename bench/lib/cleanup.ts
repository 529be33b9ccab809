// Everything the bench starts or creates registers its undo here; it runs once, newest first, on exit or Ctrl-C.
type Undo = { what: string; run: () => Promise<void> | void };

const undos: Undo[] = [];
let running: Promise<void> | undefined;

export function onCleanup(what: string, run: Undo['run']): () => void {
  const undo = { what, run };
  undos.push(undo);
  return () => {
    const index = undos.indexOf(undo);
    if (index >= 0) undos.splice(index, 1);
  };
}

export function cleanup(): Promise<void> {
  running ??= (async () => {
    while (undos.length > 0) {
      const undo = undos.pop()!;
      try {
        await undo.run();
      } catch (error) {
        console.error(`cleanup: ${undo.what} failed: ${(error as Error).message}`);
      }
    }
  })();
  return running;
}

let signalled = false;

/** True once Ctrl-C (or SIGTERM/SIGHUP) arrived: failures after it are the run being torn down, not findings. */
export const interrupted = (): boolean => signalled;

/** Ctrl-C / SIGTERM: undo everything, then exit 130 / 143; a second signal exits at once. */
export function cleanupOnSignals(): void {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    process.on(signal, () => {
      if (signalled) process.exit(code);
      signalled = true;
      console.error(`\n${signal}: stopping everything the bench started…`);
      void cleanup().finally(() => process.exit(code));
    });
  }
}
