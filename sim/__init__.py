"""cadresim: an agent-based simulation of cadre and worker dynamics in China.

The package is organised like the model's ODD description (docs/ODD.md):

- ``sim.config``      scenario files and their validation (pydantic)
- ``sim.state``       the struct-of-arrays that hold every agent's numeric state
- ``sim.agents``      the Mesa agent classes, thin views on rows of those arrays
- ``sim.population``  initialization: people, work units, villages and ties
- ``sim.submodels``   one module per process (hardship, legitimacy, protest, ...)
- ``sim.regimes``     one module per policy regime drawn from the source texts
- ``sim.outcomes``    every recorded outcome, defined once
- ``sim.model``       the Mesa model whose ``step`` reads like the process overview
- ``sim.runner``      running scenarios and writing run folders
"""

__version__ = "0.1.0"
