"""Plan quality: the planning policy replayed over the last closed months against naive
and perfect-foresight policies (`replay`, run by `sop backtest`), and the replay's report: its
sentences, tables and the files written beside it (`scorecard`)."""
