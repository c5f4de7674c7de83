"""aipm.compat: AIPowerMeter's calling pattern over aipm.

A script written for AIPowerMeter runs with its import line changed:

    from deep_learning_power_measure.power_measure import experiment, parsers   # before
    from aipm.compat import experiment, parsers                                 # after

    driver = parsers.JsonParser("output_folder")
    exp = experiment.Experiment(driver, model=net, input_size=(64, 3, 32, 32))
    p, q = exp.measure_yourself(period=2)
    ...  # the training
    q.put(experiment.STOP_MESSAGE)
    experiment.ExpResults(parsers.JsonParser("output_folder")).print()

The recording is aipm's (power_metrics.json and the rest, read by `aipm
report` and by AIPowerMeter's own reader alike); the mapping of each call is
in the README ("Measuring from inside a program").
"""
from . import experiment, parsers  # noqa: F401

__all__ = ["experiment", "parsers"]
