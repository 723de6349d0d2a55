"""The monthly batch: the five step notebooks run in order by papermill (`runner`), the
step context a notebook opens first (`runner.open_step`), and the `sop` command line
(`cli`). It sits on top of every step."""
