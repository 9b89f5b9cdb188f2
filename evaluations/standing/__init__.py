"""The standing of contracts: the month's score read with its orders and red lines, for dashboards, the evaluator's inbox and the monthly summary PDF."""
