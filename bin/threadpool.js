// Imported first by bin/custodian.js, before anything can start libuv's thread pool: file
// system calls run there, and with the default of 4 threads a few slow fsyncs (a restore, a
// pack being made durable) stall every other read and write behind them.
process.env.UV_THREADPOOL_SIZE ??= "16";
