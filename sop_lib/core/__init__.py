"""The thin core every step stands on: run parameters (`params`), the data contracts
(`contracts`), hand-overs between steps (`handover`) with their checksums (`integrity`),
one batch per cycle (`runlock`), and the report helpers (`reporting`).

Nothing here imports a step: the steps import the core, never the other way round
(`make lint` holds that with import-linter).
"""
