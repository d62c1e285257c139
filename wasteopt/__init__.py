"""wasteopt: municipal solid-waste and circular-economy logistics optimiser."""

__version__ = "0.1.0"
