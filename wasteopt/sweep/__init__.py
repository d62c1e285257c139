"""Scenario sweeps: a grid of what-if cells planned as Dask tasks, with durable results.

``spec`` reads the grid, ``cells`` expands and keys it, ``levers`` changes an instance per
cell, ``run`` plans the cells on a Dask cluster (``cluster``), ``store`` keeps the rows,
``summary`` and ``plots`` give the planner's answer. Dask is imported only here and in
``benchmarks``; :mod:`wasteopt.scenario` borrows the electric-share lever from ``levers``.
"""
