"""Pure forecasting computation: physical models, error model, SimBench time base and profile
cache, the vectorised forecast builder and accuracy scores. numpy/pandas only, never Django, so
that all of it is tested without a database."""
