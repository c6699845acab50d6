// Preloaded (`node --require`) into the gateway when the benchmark profiles it: SIGUSR2 exits
// cleanly, so `--cpu-prof` writes its profile (a signal death, e.g. SIGTERM, would not).
process.on('SIGUSR2', () => process.exit(0));

export {};
