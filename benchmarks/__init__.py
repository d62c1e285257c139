"""Benchmarks for wasteopt: published VRPLIB instances, generated county-scale instances.

Nothing here is part of the product: the modules convert published instances into wasteopt
instances (:mod:`benchmarks.convert`), rebuild plans from known routes (:mod:`benchmarks.routes`),
run wasteopt and PyVRP side by side (:mod:`benchmarks.published`, :mod:`benchmarks.peer_pyvrp`)
and generate VRP-with-unloading instances (:mod:`benchmarks.generate`). PyVRP and vrplib come
with the ``bench`` extra only.
"""
