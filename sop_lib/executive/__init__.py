"""Step 5: the executive S&OP meeting. The decisions the plan asks for (`asks`), what the
meeting decided and stakeholders said (`records`), what changed since the last cycle
(`since_last`), and one page per department (`views`). The executive page's headline KPI
cards (`headline`) and its charts and sentences (`panels`). The cycle's plan as an Excel
workbook for planners and finance (`workbook`)."""
